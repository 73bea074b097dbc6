package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonObject;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean start and stop of each role, as an admin runs them, logs nothing that looks like a fault: no ERROR line,
 * no WARN line that carries an exception, no warning from a library. Each node is also used on its very first ready
 * answer.
 */
class CleanStartLogIT {

  private static final Duration START = Duration.ofMinutes(3);
  private static final String ADMIN_PASSWORD = "clean-start-admin-password-1";

  @TempDir
  Path tmp;

  @Test
  void anAllInOneApplianceStartsAndStopsTwiceWithoutAFaultInItsLog() throws Exception {
    // GIVEN an all-in-one appliance's command line, with the demo and JSON log lines
    Path data = tmp.resolve("appliance");
    Path passwordFile = adminPasswordFile();
    int https = FreePorts.next();
    String[] args = {"appliance", "--data-dir", data.toString(), "--https-port", Integer.toString(https),
        "--cluster-port", Integer.toString(FreePorts.next()), "--cluster-bus-port", Integer.toString(FreePorts.next()),
        "--gateway-port", Integer.toString(FreePorts.next()), "--admin-password-file", passwordFile.toString(),
        "--demo", "--log-format", "json"};
    Map<String, String> env = Map.of("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime());
    for (String start : List.of("first start", "restart")) {
      // WHEN it starts on its data dir, is used on its first ready answer, and stops on SIGTERM
      try (OutpostProcess node = OutpostProcess.start(tmp, env, args)) {
        SiteClient client = firstReady(node, data, https);
        assertThat(signIn(client, "admin", ADMIN_PASSWORD).status()).as(start).isEqualTo(200);
        node.awaitStdout("ready: https://localhost:" + https, START);

        // THEN it stops cleanly and its log holds no fault
        assertThat(node.stop()).as(start).isZero();
        assertNoFault("appliance, " + start, node.stderr());
      }
    }
  }

  @Test
  void aHubAndAnApplianceWithASeparateHubStartAndStopWithoutAFaultInTheirLogs() throws Exception {
    // GIVEN a hub's command line, with JSON log lines
    Path passwordFile = adminPasswordFile();
    int hubPort = FreePorts.next();
    String[] hubArgs = {"hub", "--data-dir", tmp.resolve("hub").toString(), "--hub-port", Integer.toString(hubPort),
        "--admin-password-file", passwordFile.toString(), "--log-format", "json"};
    List<String> hubLogs = new ArrayList<>();
    OutpostProcess hub = OutpostProcess.start(tmp, Map.of(), hubArgs);
    try {
      // WHEN the hub starts, its admin signs in on the first ready answer and publishes a location with a user
      SiteClient hubClient = firstReady(hub, tmp.resolve("hub"), hubPort);
      Response admin = signIn(hubClient, "admin", ADMIN_PASSWORD);
      assertThat(admin.status()).as(admin.body()).isEqualTo(200);
      String token = HubSite.publish(hubClient, admin.json().getString("token"), 1, 22, 1);

      // AND an appliance of that location enrolls on its first start, restarts, and the hub restarts under it
      Path data = tmp.resolve("branch");
      int https = FreePorts.next();
      String[] args = {"appliance", "--data-dir", data.toString(), "--https-port", Integer.toString(https),
          "--cluster-port", Integer.toString(FreePorts.next()), "--cluster-bus-port",
          Integer.toString(FreePorts.next()), "--gateway-port", Integer.toString(FreePorts.next()),
          "--hub", "https://localhost:" + hubPort, "--log-format", "json"};
      Map<String, String> env = Map.of("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime(), "OUTPOST_HUB_TOKEN", token);
      for (String start : List.of("first start", "restart", "hub restart")) {
        try (OutpostProcess branch = OutpostProcess.start(tmp, env, args)) {
          SiteClient client = firstReady(branch, data, https);
          // the hub's user signs in at the appliance through its tunnel on its first ready answer
          assertThat(signIn(client, "user1", "user-password-1").status()).as(start).isEqualTo(200);
          if ("hub restart".equals(start)) {
            assertThat(hub.stop()).isZero();
            hubLogs.add(hub.stderr());
            hub = OutpostProcess.start(tmp, Map.of(), hubArgs);
            hub.awaitStdout("Outpost hub .* ready", START);
            Poll.until("the appliance's tunnel to the restarted hub", START,
                () -> client.get("/health/ready", null).status() == 200);
          }

          // THEN the appliance stops cleanly and its log holds no fault
          assertThat(branch.stop()).as(start).isZero();
          assertNoFault("appliance with a separate hub, " + start, branch.stderr());
        }
      }

      // AND the hub stops cleanly, and its logs hold no fault either
      assertThat(hub.stop()).isZero();
      hubLogs.add(hub.stderr());
      for (String log : hubLogs) {
        assertNoFault("hub", log);
      }
    } finally {
      hub.close();
    }
  }

  private Path adminPasswordFile() throws java.io.IOException {
    return Files.writeString(tmp.resolve("admin-password"), ADMIN_PASSWORD);
  }

  /**
   * Asks for readiness as fast as the node answers, from before it listens, and returns a client at the first
   * 200 (the site CA is written before the listener binds).
   */
  private static SiteClient firstReady(OutpostProcess node, Path dataDir, int port) throws InterruptedException {
    Path ca = dataDir.resolve("tls/ca.crt");
    Poll.until("the site CA of a starting node", START, () -> Files.exists(ca));
    SiteClient client = new SiteClient(ca, port);
    Instant deadline = Instant.now().plus(START);
    while (Instant.now().isBefore(deadline)) {
      try {
        if (client.get("/health/ready", null).status() == 200) {
          return client;
        }
      } catch (UncheckedIOException notListeningYet) {
        // not listening yet: ask again shortly (a polling interval with a deadline, not a synchronisation)
        Thread.sleep(5);
      }
    }
    throw new AssertionError("not ready within " + START + "\nstderr:\n" + node.stderr());
  }

  private static Response signIn(SiteClient client, String username, String password) {
    return client.post("/api/v1/login", null, new JsonObject().put("username", username).put("password", password)
        .encode());
  }

  /**
   * Every line is a JSON log event; none is an ERROR, none a WARN with an exception, and no library warns (Outpost's
   * own warnings without an exception are conditions it explains, e.g. the hub link closing while the hub restarts).
   */
  private static void assertNoFault(String what, String stderr) {
    List<String> faults = new ArrayList<>();
    for (String line : stderr.lines().filter(l -> !l.isBlank()).toList()) {
      JsonObject event;
      try {
        event = new JsonObject(line);
      } catch (RuntimeException notJson) {
        faults.add("not a JSON log line: " + line);
        continue;
      }
      String level = event.getString("level", "");
      boolean outpost = event.getString("logger", "").startsWith("dev.outpost.");
      if ("ERROR".equals(level) || "WARN".equals(level) && (event.containsKey("error") || !outpost)) {
        faults.add(line);
      }
    }
    assertThat(faults).as("%s: log lines that look like a fault", what).isEmpty();
  }
}
