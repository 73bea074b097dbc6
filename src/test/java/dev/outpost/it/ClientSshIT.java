package dev.outpost.it;

import dev.outpost.testing.Sshd;
import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.it.OutpostProcess.Result;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with real OpenSSH: a real {@code sshd} on a loopback port is published as the SSH resource
 * {@code shell}; the packaged {@code outpost client} signs in, and the real {@code ssh} client reaches sshd through
 * the gateway as its ProxyCommand and through {@code launch --local-port}.
 */
class ClientSshIT {

  static final String REMOTE = Sshd.REMOTE;

  @TempDir
  static Path tmp;
  static TestSite site;
  static Sshd sshd;
  static Path home;
  static String user = Sshd.USER;

  @BeforeAll
  static void start() throws Exception {
    // the test's host registers once and never reports: it must outlast the test (3 heartbeat intervals), however
    // long a busy machine takes over its streams
    site = TestSite.start(tmp.resolve("node"), Map.of("broker.heartbeat-interval", "10m"));
    SiteClient client = site.client();
    // the host trusts the site's SSH user CA, as 'outpost agent --trust-ssh-user-ca' has it install
    Path trusted = Files.writeString(tmp.resolve("outpost_user_ca.pub"), client.get("/api/v1/ssh-user-ca", null)
        .body());
    sshd = Sshd.start(tmp.resolve("sshd"), List.of("TrustedUserCAKeys " + trusted));
    int sshPort = sshd.port();
    String admin = site.adminToken();
    String poolId = created(client.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":20}"))
        .getString("id");
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell").put("pool", "linux")
        .put("kind", "desktop").put("port", sshPort).put("launchHint", "ssh").encode()));
    created(client.post("/admin/api/v1/users", admin, "{\"username\":\"alice\",\"password\":\"alice-password-1\"}"));
    created(client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"user\":\"alice\"}"));
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell-ca").put("pool", "linux")
        .put("kind", "desktop").put("port", sshPort).put("launchHint", "ssh").put("hostLogin", user).encode()));
    created(client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell-ca\",\"user\":\"alice\"}"));
    UUID hostId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, "sshd", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId)));
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "sshd", poolId, "127.0.0.1",
        "node", Map.of(sshPort, true), 0.1, List.of())));
    home = tmp.resolve("home");
    Files.writeString(tmp.resolve("alice-password"), "alice-password-1\n");
  }

  @AfterAll
  static void stop() {
    if (sshd != null) {
      sshd.close();
    }
    if (site != null) {
      site.close();
    }
  }

  @Test
  void sshThroughTheGatewayAsProxyCommandAndThroughALocalPort() throws Exception {
    // GIVEN a first contact without the CA fingerprint THEN the client refuses and shows the fingerprint
    Result unpinned = client("login", "https://localhost:" + site.httpsPort(), "--user", "alice", "--password-file",
        tmp.resolve("alice-password").toString());
    assertThat(unpinned.exitCode()).isEqualTo(1);
    assertThat(unpinned.stderr()).contains(site.node().caFingerprintDisplay()).contains("--ca-sha256");
    assertThat(unpinned.stderr().strip().lines()).hasSize(1);

    // WHEN alice signs in with the fingerprint
    Result login = client("login", "https://localhost:" + site.httpsPort(), "--user", "alice", "--password-file",
        tmp.resolve("alice-password").toString(), "--ca-sha256", site.node().caFingerprintDisplay());
    assertThat(login.exitCode()).as(login.stderr()).isZero();

    // THEN the state is private, with a device key, and the apps are listed with their availability
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home))).isEqualTo("rwx------");
    for (String file : List.of("token", "ca.pem", "client.json", "device-key.pem", "device-key.pub")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(file))))
          .as(file).isEqualTo("rw-------");
    }
    Result apps = client("apps");
    assertThat(apps.exitCode()).as(apps.stderr()).isZero();
    assertThat(apps.stdout()).containsPattern("shell\\s+desktop\\s+ssh\\s+yes");

    // AND a launch without a local port prints the descriptor with the launch file and the ssh command
    JsonObject descriptor = new JsonObject(client("launch", "shell").stdout());
    assertThat(descriptor.getString("sshCommand"))
        .isEqualTo("ssh -o ProxyCommand='outpost client connect shell --stdio' alice@shell");
    assertThat(descriptor.getJsonObject("launchFile").getString("ticket")).isEqualTo(descriptor.getString("ticket"));

    // WHEN ssh runs a command with `outpost client connect shell --stdio` as its ProxyCommand
    String proxy = String.join(" ", OutpostProcess.command("client", "--home", home.toString(), "connect", "%n",
        "--stdio"));
    Sshd.SshResult viaProxy = sshd.ssh(List.of("-o", "ProxyCommand=" + proxy, user + "@shell", REMOTE), null);

    // THEN the command's output comes back whole
    assertThat(viaProxy.exitCode()).as(viaProxy.stderr()).isZero();
    assertThat(viaProxy.stdoutText()).isEqualTo(Sshd.remoteOutput());

    // AND the same through the appliance's WebSocket gateway, for networks that pass only HTTPS
    String proxyWss = String.join(" ", OutpostProcess.command("client", "--home", home.toString(), "connect", "%n",
        "--stdio", "--gateway", "wss"));
    Sshd.SshResult viaWss = sshd.ssh(List.of("-o", "ProxyCommand=" + proxyWss, user + "@shell", REMOTE), null);
    assertThat(viaWss.exitCode()).as(viaWss.stderr()).isZero();
    assertThat(viaWss.stdoutText()).isEqualTo(Sshd.remoteOutput());

    // AND the launch file the store downloads opens with its own ticket (no second launch), as ssh's ProxyCommand
    Path launchFile = Files.writeString(tmp.resolve("shell.outpost"), new JsonObject(client("launch", "shell")
        .stdout()).getJsonObject("launchFile").encodePrettily());
    String open = String.join(" ", OutpostProcess.command("client", "--home", home.toString(), "open",
        launchFile.toString()));
    Sshd.SshResult viaFile = sshd.ssh(List.of("-o", "ProxyCommand=" + open, user + "@shell", REMOTE), null);
    assertThat(viaFile.exitCode()).as(viaFile.stderr()).isZero();
    assertThat(viaFile.stdoutText()).isEqualTo(Sshd.remoteOutput());
    // AND the same file does not open twice: its ticket opened its one stream
    Result again = client("open", launchFile.toString());
    assertThat(again.exitCode()).isEqualTo(1);
    assertThat(again.stderr()).contains("ticket");
    // AND a file whose ticket expired says so and what to do, without reaching the gateway
    Path expired = Files.writeString(tmp.resolve("expired.outpost"), new JsonObject(Files.readString(launchFile))
        .put("expiresAt", "2020-01-01T00:00:00Z").encode());
    Result late = client("open", expired.toString());
    assertThat(late.exitCode()).isEqualTo(1);
    assertThat(late.stderr()).contains("expired at 2020-01-01T00:00:00Z", "launch again");

    // AND a launch that offers no hub gateway (all-in-one site) says so when the hub is asked for
    Result noHub = client("connect", "shell", "--stdio", "--gateway", "hub");
    assertThat(noHub.exitCode()).isEqualTo(1);
    assertThat(noHub.stderr()).contains("the launch offers no hub gateway");

    // AND 50 MB stream down and 20 MB up through the gateway intact
    Sshd.SshResult download = sshd.ssh(
        List.of("-o", "ProxyCommand=" + proxy, user + "@shell", "head -c 50000000 /dev/zero"), null);
    assertThat(download.exitCode()).as(download.stderr()).isZero();
    assertThat(download.stdoutBytes()).hasSize(50_000_000);
    assertThat(Sshd.sha256Hex(download.stdoutBytes())).isEqualTo(Sshd.sha256Hex(new byte[50_000_000]));
    Path upload = tmp.resolve("upload.bin");
    byte[] random = new byte[20_000_000];
    new java.util.Random(11).nextBytes(random);
    Files.write(upload, random);
    Sshd.SshResult uploaded = sshd.ssh(List.of("-o", "ProxyCommand=" + proxy, user + "@shell", "sha256sum"), upload);
    assertThat(uploaded.stdoutText()).isEqualTo(Sshd.sha256Hex(random) + "  -\n");

    // WHEN the client forwards a local port instead
    int localPort = FreePorts.next();
    try (OutpostProcess forward = OutpostProcess.start(tmp, Map.of(), "client", "--home", home.toString(), "launch",
        "shell", "--local-port", Integer.toString(localPort))) {
      forward.awaitStdout("Forwarding 127\\.0\\.0\\.1:" + localPort + " to shell", Duration.ofSeconds(60));

      // THEN ssh to that port works the same, twice (a fresh launch per connection)
      for (int i = 0; i < 2; i++) {
        Sshd.SshResult viaPort = sshd.ssh(List.of("-p", Integer.toString(localPort), user + "@127.0.0.1", REMOTE),
            null);
        assertThat(viaPort.exitCode()).as(viaPort.stderr()).isZero();
        assertThat(viaPort.stdoutText()).isEqualTo(Sshd.remoteOutput());
      }
    }

    // AND `outpost client ssh` to an app with a host login logs in with a certificate the site signs for a key made
    // for this one run: no host password, none of the user's keys
    Result viaCertificate = client("ssh", "--ssh-option", "StrictHostKeyChecking=no", "--ssh-option",
        "UserKnownHostsFile=/dev/null", "--ssh-option", "BatchMode=yes", "--ssh-option", "LogLevel=ERROR",
        "shell-ca", "echo", "$((6*7))");
    assertThat(viaCertificate.exitCode()).as(viaCertificate.stderr()).isZero();
    assertThat(viaCertificate.stdout()).isEqualTo("42\n");

    // AND sessions are listed; logout deletes the token and keeps the device key
    Result sessions = client("sessions");
    assertThat(sessions.stdout()).contains("shell");
    String deviceKey = Files.readString(home.resolve("device-key.pub"));
    Result logout = client("logout");
    assertThat(logout.exitCode()).as(logout.stderr()).isZero();
    assertThat(home.resolve("token")).doesNotExist();
    assertThat(Files.readString(home.resolve("device-key.pub"))).isEqualTo(deviceKey);
    Result after = client("apps");
    assertThat(after.exitCode()).isEqualTo(1);
    assertThat(after.stderr()).contains("not signed in");
  }

  // ---- helpers ----

  static Result client(String... args) {
    List<String> all = new ArrayList<>(List.of("client", "--home", home.toString()));
    all.addAll(List.of(args));
    return OutpostProcess.run(tmp, all.toArray(String[]::new));
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

}
