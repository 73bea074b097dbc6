package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.it.OutpostProcess.Result;
import dev.outpost.testing.ConnectProxy;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outpost appliance}, {@code outpost admin} and {@code outpost agent} as separate processes: an admin
 * signs in and makes a token from the command line, a host enrolls with it and links, leaves, and links again
 * with its stored certificate alone.
 */
class AgentProcessIT {

  private static final Duration START = Duration.ofMinutes(2);
  private static final String PASSWORD = "agent-it-admin-password";

  @TempDir
  Path tmp;

  @Test
  void aHostEnrollsWithATokenFromTheAdminCliLinksLeavesAndLinksAgainWithoutIt() throws Exception {
    // GIVEN a running appliance
    Path data = tmp.resolve("data");
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, PASSWORD);
    int https = FreePorts.next();
    try (OutpostProcess appliance = OutpostProcess.start(tmp, Map.of("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime()),
        "appliance", "--data-dir", data.toString(), "--https-port", Integer.toString(https), "--cluster-bus-port",
        Integer.toString(FreePorts.next()), "--cluster-port", Integer.toString(FreePorts.next()),
        "--admin-password-file", passwordFile.toString())) {
      appliance.awaitStdout("ready: https://localhost:" + https + "/", START);
      String fingerprint = appliance.awaitStdout("CA sha256: ([0-9A-F:]{95})", START);
      String url = "https://localhost:" + https;
      Path home = tmp.resolve("admin-home");

      // WHEN an admin signs in with the CLI, pinning the printed CA, and creates a pool and a one-use token
      Result login = admin(home, "--url", url, "--ca-sha256", fingerprint, "login", "--user", "admin",
          "--password-file", passwordFile.toString());
      assertThat(login.exitCode()).as(login.stderr()).isZero();
      assertThat(new JsonObject(login.stdout()).getString("user")).isEqualTo("admin");
      assertThat(Files.getPosixFilePermissions(home.resolve("session.json")))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      Result pool = admin(home, "post", "pools", "{\"name\":\"it-pool\",\"maxSessionsPerHost\":2}");
      assertThat(pool.exitCode()).as(pool.stderr()).isZero();
      Result created = admin(home, "enroll-token", "create", "--pool", "it-pool", "--uses", "1", "--ttl", "1h");
      assertThat(created.exitCode()).as(created.stderr()).isZero();
      JsonObject token = new JsonObject(created.stdout());
      // signed in on localhost, the command names the appliance by its host name (it has no public name here)
      assertThat(token.getString("command")).startsWith("outpost agent --appliance https://"
          + java.net.InetAddress.getLocalHost().getHostName() + ":" + https + " --token OPT1.");

      // THEN a problem from the API is one line on stderr and exit 1
      Result bad = admin(home, "enroll-token", "create", "--pool", "no-such-pool");
      assertThat(bad.exitCode()).isEqualTo(1);
      assertThat(bad.stderr().strip()).startsWith("outpost admin: 400 ").contains("no-such-pool");

      // WHEN the host's agent runs with the token
      SiteClient api = new SiteClient(data.resolve("tls/ca.crt"), https);
      String adminToken = api.login("admin", PASSWORD);
      Path agentData = tmp.resolve("agent");
      String hostId;
      try (OutpostProcess agent = OutpostProcess.start(tmp, Map.of(), "agent", "--appliance", url, "--token",
          token.getString("token"), "--address", "127.0.0.1", "--name", "it-host", "--data-dir",
          agentData.toString())) {
        hostId = agent.awaitStdout("Enrolled as host ([0-9a-f-]{36})", START);
        agent.awaitStdout("Linked to " + url + " as host " + hostId, START);

        // THEN the appliance lists its link, and the agent keeps its key and certificates owner-only
        awaitAgents(api, adminToken, items -> items.stream().anyMatch(a -> hostId.equals(a.getString("hostId"))
            && "it-host".equals(a.getString("name"))));
        for (String file : List.of("agent.key", "agent.crt", "ca.crt", "agent.json")) {
          assertThat(Files.getPosixFilePermissions(agentData.resolve(file))).as(file)
              .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        assertThat(Fingerprints.sha256(Pem.readCertificate(agentData.resolve("ca.crt"))))
            .isEqualTo(Fingerprints.normalize(fingerprint));

        // WHEN the agent is stopped THEN its link disappears
        assertThat(agent.stop()).isZero();
      }
      awaitAgents(api, adminToken, items -> items.stream().noneMatch(a -> hostId.equals(a.getString("hostId"))));

      // WHEN another host tries the used-up token THEN it is told so in one line
      Result again = OutpostProcess.run(tmp, "agent", "--appliance", url, "--token", token.getString("token"),
          "--address", "127.0.0.1", "--data-dir", tmp.resolve("agent-2").toString());
      assertThat(again.exitCode()).isEqualTo(1);
      assertThat(again.stderr().strip()).startsWith("outpost agent: ").contains("used up").doesNotContain("\n");

      // WHEN the first agent starts again without a token THEN it links with its stored certificate, to the
      // appliance under the name it announces for itself (its host name: no http.public-names here) or the URL given
      assertThat(SiteClient.readOrEmpty(agentData.resolve("agent.json"))).contains(url);
      try (OutpostProcess agent = OutpostProcess.start(tmp, Map.of(), "agent", "--data-dir", agentData.toString())) {
        agent.awaitStdout("Linked to https://[^ /]+:" + https + " as host " + hostId, START);
        assertThat(agent.stdout()).doesNotContain("Enrolled");
        awaitAgents(api, adminToken, items -> items.stream().anyMatch(a -> hostId.equals(a.getString("hostId"))));
        Result listed = admin(home, "get", "agents");
        assertThat(listed.exitCode()).isZero();
        assertThat(listed.stdout()).contains(hostId);
      }

      // WHEN another host's agent runs where the network only lets it out through a proxy named by HTTPS_PROXY
      Vertx vertx = Vertx.vertx();
      try (ConnectProxy proxy = ConnectProxy.start(vertx, "agent", "proxy-password")) {
        JsonObject second = new JsonObject(admin(home, "enroll-token", "create", "--pool", "it-pool").stdout());
        try (OutpostProcess agent = OutpostProcess.start(tmp, Map.of("HTTPS_PROXY", proxy.url("agent",
            "proxy-password")), "agent", "--appliance", url, "--token", second.getString("token"), "--address",
            "127.0.0.1", "--name", "proxied-host", "--data-dir", tmp.resolve("agent-proxied").toString())) {
          String proxiedId = agent.awaitStdout("Enrolled as host ([0-9a-f-]{36})", START);
          agent.awaitStdout("Linked to " + url + " as host " + proxiedId, START);

          // THEN it enrolled and linked through the proxy's tunnels, and never logs the proxy's password
          assertThat(proxy.tunnels()).containsExactly("localhost:" + https, "localhost:" + https);
          assertThat(agent.stderr()).contains("through the proxy http://127.0.0.1:" + proxy.port()
              + " (with credentials)").doesNotContain("proxy-password");
        }
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
  }

  private Result admin(Path home, String... args) {
    String[] command = new String[args.length + 3];
    command[0] = "admin";
    command[1] = "--home";
    command[2] = home.toString();
    System.arraycopy(args, 0, command, 3, args.length);
    return OutpostProcess.run(tmp, command);
  }

  private static void awaitAgents(SiteClient api, String adminToken, Predicate<List<JsonObject>> condition)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
    List<JsonObject> items = List.of();
    while (Instant.now().isBefore(deadline)) {
      JsonArray listed = api.get("/admin/api/v1/agents", adminToken).json().getJsonArray("items");
      items = listed.stream().map(JsonObject.class::cast).toList();
      if (condition.test(items)) {
        return;
      }
      Thread.sleep(100); // polling with a deadline
    }
    throw new AssertionError("agents listed did not match within 30 s: " + items);
  }
}
