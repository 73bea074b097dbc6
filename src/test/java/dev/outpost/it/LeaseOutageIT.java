package dev.outpost.it;

import dev.outpost.testing.Sshd;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.it.OutpostProcess.Result;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.TcpProxy;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Service continuity end to end with real processes: {@code outpost hub}, an {@code outpost appliance --hub} whose
 * store users reach through a front end (a TCP proxy standing in for a load balancer), an {@code outpost agent} on
 * the session host, a real sshd, and the real {@code outpost client} as ssh's ProxyCommand. The user signs in and
 * gets a connection lease; then the hub stops and the store path goes away. ssh still works: the client launches
 * with the lease at the appliance the lease names, which brokers from its local host cache. A revocation made at the
 * appliance during the outage stops the lease at once and reaches the hub when it is back. After logout ssh does not
 * work either.
 */
class LeaseOutageIT {

  private static final Duration START = ShellOverHub.START;
  private static final String ADMIN_PASSWORD = ShellOverHub.ADMIN_PASSWORD;
  private static final Duration THRESHOLD = Duration.ofSeconds(4);

  @TempDir
  Path tmp;

  @Test
  void sshWorksThroughTheLeaseWithTheHubAndTheStorePathGoneAndNotAfterLogout() throws Exception {
    try (Sshd sshd = Sshd.start(tmp.resolve("sshd"))) {
      // GIVEN a hub with a location, an SSH resource on sshd's port, and alice entitled to it
      int hubPort = FreePorts.next();
      TcpProxy storePath = null;
      String[] hubArgs = ShellOverHub.hubArgs(tmp, hubPort);
      OutpostProcess hub = OutpostProcess.start(tmp, Map.of(), hubArgs);
      try {
        hub.awaitStdout("Outpost hub .* ready", START);
        SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
        String admin = hubApi.login("admin", ADMIN_PASSWORD);
        String connectorToken = ShellOverHub.publish(hubApi, admin, sshd.port());

        // AND an appliance of that location, named 127.0.0.1 in leases, with the session host's agent linked to it
        Path applianceData = tmp.resolve("appliance");
        int https = FreePorts.next();
        storePath = new TcpProxy(https);
        Map<String, String> env = Map.of("OUTPOST_HUB_TOKEN", connectorToken, "OUTPOST_HUB_OUTAGE_THRESHOLD",
            THRESHOLD.toSeconds() + "s", "OUTPOST_HUB_SYNC_INTERVAL", "1s", "OUTPOST_HTTP_PUBLIC_NAMES", "127.0.0.1");
        try (OutpostProcess appliance = OutpostProcess.start(tmp, env, "appliance", "--data-dir",
            applianceData.toString(), "--https-port", Integer.toString(https), "--cluster-bus-port",
            Integer.toString(FreePorts.next()), "--cluster-port", Integer.toString(FreePorts.next()), "--gateway-port",
            Integer.toString(FreePorts.next()), "--hub", "https://localhost:" + hubPort);
            OutpostProcess agent = ShellOverHub.startAgent(tmp, appliance, https, hubApi, admin)) {
          SiteClient direct = new SiteClient(applianceData.resolve("tls/ca.crt"), https);
          String probe = direct.login("alice", "alice-password-1");
          Poll.until("shell is available", Duration.ofSeconds(60), () -> direct.get("/api/v1/resources", probe)
              .json().getJsonArray("items").getJsonObject(0).getBoolean("available"));

          // WHEN alice signs in with the client through the store's front end
          Path home = tmp.resolve("home");
          Files.writeString(tmp.resolve("alice-password"), "alice-password-1\n");
          String caSha256 = Fingerprints.sha256(Pem.readCertificate(applianceData.resolve("tls/ca.crt")));
          Result login = OutpostProcess.run(tmp, "client", "--home", home.toString(), "login",
              "https://localhost:" + storePath.port(), "--user", "alice", "--password-file",
              tmp.resolve("alice-password").toString(), "--ca-sha256", caSha256, "--lease-wait", "60");

          // THEN she has a connection lease, kept encrypted in files only she can read
          assertThat(login.exitCode()).as(login.stderr()).isZero();
          assertThat(login.stdout()).contains("Connection lease").contains("for 1 app(s)");
          List<Path> leaseFiles;
          try (Stream<Path> files = Files.list(home)) {
            leaseFiles = files.filter(f -> f.getFileName().toString().startsWith("lease")).toList();
          }
          assertThat(leaseFiles).hasSize(2);
          for (Path file : leaseFiles) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).as(file.toString())
                .isEqualTo("rw-------");
            assertThat(Files.readString(file)).doesNotContain("shell").doesNotContain("alice");
          }
          String proxy = String.join(" ", OutpostProcess.command("client", "--home", home.toString(), "connect",
              "%n", "--stdio"));
          Sshd.SshResult before = sshd.ssh(List.of("-o", "ProxyCommand=" + proxy, Sshd.USER + "@shell", "echo ok"),
              null);
          assertThat(before.exitCode()).as(before.stderr()).isZero();
          assertThat(before.stderr()).doesNotContain("connection lease");

          // WHEN the hub stops and the store's front end goes away
          assertThat(hub.stop()).isZero();
          storePath.close();
          Poll.until("the appliance brokers alone", THRESHOLD.plusSeconds(30),
              () -> "local".equals(direct.get("/api/v1/status", null).json().getString("mode")));

          // THEN ssh through Outpost still works: the client launches with the lease, and says so in one line
          Sshd.SshResult viaLease = sshd.ssh(List.of("-o", "ProxyCommand=" + proxy, Sshd.USER + "@shell",
              Sshd.REMOTE), null);
          assertThat(viaLease.exitCode()).as(viaLease.stderr()).isZero();
          assertThat(viaLease.stdoutText()).isEqualTo(Sshd.remoteOutput());
          assertThat(viaLease.stderr().strip().lines().filter(l -> l.contains("connection lease")).toList())
              .singleElement().asString()
              .contains("cannot reach https://localhost:" + storePath.port())
              .contains("launched shell with the connection lease at https://127.0.0.1:" + https);

          // WHEN, still in the outage, an admin revokes alice's leases at the appliance (signed in from its cache)
          String applianceAdmin = direct.login("admin", ADMIN_PASSWORD);
          Response revoked = direct.post("/admin/api/v1/leases/revocations", applianceAdmin,
              "{\"user\":\"alice\",\"reason\":\"laptop reported stolen\"}");
          assertThat(revoked.status()).as(revoked.body()).isEqualTo(201);

          // THEN her lease no longer launches, and ssh says why
          Sshd.SshResult refused = sshd.ssh(List.of("-o", "ProxyCommand=" + proxy, Sshd.USER + "@shell", "echo ok"),
              null);
          assertThat(refused.exitCode()).isNotZero();
          assertThat(refused.stderr()).contains("refused the connection lease").contains("laptop reported stolen");

          // AND when the hub is back, the appliance hands the revocation to it
          hub = OutpostProcess.start(tmp, Map.of(), hubArgs);
          hub.awaitStdout("Outpost hub .* ready", START);
          String hubAdmin = hubApi.login("admin", ADMIN_PASSWORD);
          String revocationId = revoked.json().getString("id");
          Poll.until("the hub has the revocation", Duration.ofSeconds(60), () -> hubApi.get(
              "/admin/api/v1/leases/revocations", hubAdmin).json().getJsonArray("items").stream()
              .anyMatch(r -> revocationId.equals(((JsonObject) r).getString("id"))));

          // WHEN alice logs out (the appliance cannot confirm; her leases are deleted all the same)
          Result logout = OutpostProcess.run(tmp, "client", "--home", home.toString(), "logout");
          assertThat(logout.stderr() + logout.stdout()).contains("1 connection lease(s) were deleted");

          // THEN ssh through Outpost no longer works
          Sshd.SshResult after = sshd.ssh(List.of("-o", "ProxyCommand=" + proxy, Sshd.USER + "@shell", "echo ok"),
              null);
          assertThat(after.exitCode()).isNotZero();
          assertThat(after.stderr()).contains("not signed in");
          try (Stream<Path> files = Files.list(home)) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith("lease"))).isEmpty();
          }
          assertThat(appliance.stdout()).doesNotContain("Exception");
          assertThat(agent.stdout()).doesNotContain("Exception");
        }
      } finally {
        hub.close();
        if (storePath != null) {
          storePath.close();
        }
      }
    }
  }
}
