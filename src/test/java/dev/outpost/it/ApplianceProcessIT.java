package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code outpost appliance} as a separate process, started, used, stopped and restarted like in production. */
class ApplianceProcessIT {

  private static final Duration START = Duration.ofMinutes(2);

  @TempDir
  Path tmp;

  @Test
  void firstStartPrintsTheCaAndAOneTimeAdminPasswordThenServesAndStopsCleanly() throws Exception {
    Path data = tmp.resolve("data");
    int https = FreePorts.next();
    String[] args = {"appliance", "--data-dir", data.toString(), "--https-port", Integer.toString(https),
        "--cluster-bus-port", Integer.toString(FreePorts.next()), "--cluster-port", Integer.toString(FreePorts.next()),
        "--gateway-port", Integer.toString(FreePorts.next()), "--log-format", "json", "--demo"};

    String password;
    try (OutpostProcess node = OutpostProcess.start(tmp, Map.of("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime()),
        args)) {
      // WHEN the appliance starts on an empty data dir
      node.awaitStdout("ready: https://localhost:" + https + "/", START);
      String fingerprint = node.awaitStdout("CA sha256: ([0-9A-F:]{95})", START);
      password = node.awaitStdout("user 'admin', password ([A-Za-z0-9]+)", START);

      // THEN it serves HTTPS with the printed CA, and the printed password signs in
      SiteClient client = new SiteClient(data.resolve("tls/ca.crt"), https);
      assertThat(client.get("/health/ready", null).status()).isEqualTo(200);
      assertThat(client.login("admin", password)).isNotEmpty();
      // AND the jar's own copy of webroot/ serves the store, its service worker and the console's routes
      assertThat(client.get("/", null).body()).contains("src=\"/js/store.js\"");
      assertThat(client.get("/sw.js", null).status()).isEqualTo(200);
      assertThat(client.get("/admin/pools", null).body()).contains("src=\"/admin/console.js\"");
      assertThat(fingerprint.replace(":", "").toLowerCase()).isEqualTo(
          dev.outpost.crypto.Fingerprints.sha256(dev.outpost.crypto.Pem.readCertificate(data.resolve("tls/ca.crt"))));
      assertThat(node.stdout()).contains("Demo user created: user 'demo'");

      // AND every log line is one JSON object that never holds the password
      String stderr = node.stderr();
      assertThat(stderr).doesNotContain(password);
      assertThat(stderr.lines().filter(l -> !l.isBlank())).allSatisfy(line -> new JsonObject(line));
      assertThat(stderr).contains("\"msg\":\"Appliance ready");

      // WHEN it receives SIGTERM
      assertThat(node.stop()).isZero();
    }
    // THEN the embedded PostgreSQL stopped with it
    assertThat(Files.exists(data.resolve("db/pgdata/postmaster.pid"))).isFalse();

    // WHEN it starts again on the same data dir
    try (OutpostProcess node = OutpostProcess.start(tmp, Map.of("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime()),
        args)) {
      node.awaitStdout("ready: https://localhost:" + https + "/", START);

      // THEN no new password is printed and the first one still works
      assertThat(node.stdout()).doesNotContain("Bootstrap admin created").doesNotContain("Demo user created");
      assertThat(new SiteClient(data.resolve("tls/ca.crt"), https).login("admin", password)).isNotEmpty();
    }
  }

  @Test
  void aSecondProcessOnTheSameDataDirIsRefusedWithAClearMessage() {
    Path data = tmp.resolve("data");
    try (OutpostProcess first = OutpostProcess.start(tmp, Map.of("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime()),
        "appliance", "--data-dir", data.toString(), "--https-port", Integer.toString(FreePorts.next()),
        "--cluster-bus-port", Integer.toString(FreePorts.next()), "--cluster-port", Integer.toString(FreePorts.next()),
        "--gateway-port", Integer.toString(FreePorts.next()))) {
      first.awaitStdout("ready: https://", START);

      OutpostProcess.Result second = OutpostProcess.run(tmp, "appliance", "--data-dir", data.toString(),
          "--https-port", Integer.toString(FreePorts.next()), "--cluster-bus-port", Integer.toString(FreePorts.next()),
          "--cluster-port", Integer.toString(FreePorts.next()), "--gateway-port", Integer.toString(FreePorts.next()));

      assertThat(second.exitCode()).isEqualTo(1);
      assertThat(second.stderr()).contains("is in use by another Outpost process (pid " + first.pid() + ")");
    }
  }

  @Test
  void theHubRoleStartsOnItsOwnAndAnswersHealthChecks() {
    Path data = tmp.resolve("hub");
    int port = FreePorts.next();
    try (OutpostProcess hub = OutpostProcess.start(tmp, Map.of(), "hub", "--data-dir", data.toString(),
        "--hub-port", Integer.toString(port))) {
      hub.awaitStdout("Outpost hub .* ready: https://localhost:" + port + "/", START);
      hub.awaitStdout("CA sha256: ", START);

      SiteClient client = new SiteClient(data.resolve("tls/ca.crt"), port);
      assertThat(client.get("/health/ready", null).status()).isEqualTo(200);
      assertThat(client.get("/health/ready", null).json().getJsonObject("checks").getJsonObject("db")
          .getString("status")).isEqualTo("UP");
      assertThat(hub.stop()).isZero();
    }
  }
}
