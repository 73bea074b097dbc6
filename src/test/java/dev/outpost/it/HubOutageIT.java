package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outage mode with real processes: a hub, an appliance of its location and a session host's agent. The hub
 * stops: the appliance brokers alone from its local host cache within the threshold, signs users
 * in from it and never over-fills the host; when the hub is back, it takes the appliance's sessions over and its
 * counts match the appliance's exactly.
 */
class HubOutageIT {

  private static final Duration START = Duration.ofMinutes(2);
  private static final String ADMIN_PASSWORD = "hub-admin-password-1";
  private static final Duration THRESHOLD = Duration.ofSeconds(4);

  @TempDir
  Path tmp;

  @Test
  void theApplianceBrokersAloneWhileTheHubIsDownAndTheHubTakesOverAfterwards() throws Exception {
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    int hubPort = FreePorts.next();
    Map<String, String> fast = Map.of("OUTPOST_BROKER_HEARTBEAT_INTERVAL", "2s");
    String[] hubArgs = {"hub", "--data-dir", tmp.resolve("hub").toString(), "--hub-port", Integer.toString(hubPort),
        "--admin-password-file", passwordFile.toString()};
    try (ServerSocket service = new ServerSocket(0)) {
      OutpostProcess hub = OutpostProcess.start(tmp, fast, hubArgs);
      try {
        hub.awaitStdout("Outpost hub .* ready", START);
        SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
        String admin = hubApi.login("admin", ADMIN_PASSWORD);

        // GIVEN a location whose one host takes 3 sessions, one resource, and four entitled users
        String connector = created(hubApi.post("/admin/api/v1/locations", admin, "{\"name\":\"site-a\"}"))
            .getString("connectorToken");
        created(hubApi.post("/admin/api/v1/pools", admin,
            "{\"name\":\"linux\",\"maxSessionsPerHost\":3,\"location\":\"site-a\"}"));
        created(hubApi.post("/admin/api/v1/resources", admin, "{\"name\":\"app\",\"pool\":\"linux\",\"kind\":\"app\","
            + "\"port\":" + service.getLocalPort() + "}"));
        for (int u = 1; u <= 4; u++) {
          created(hubApi.post("/admin/api/v1/users", admin, "{\"username\":\"user" + u + "\",\"password\":"
              + "\"user-password-" + u + "\"}"));
          created(hubApi.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"app\",\"user\":\"user" + u + "\"}"));
        }

        // AND an appliance that treats 4 s of hub silence as an outage, and the host's agent linked to it
        int https = FreePorts.next();
        Path applianceData = tmp.resolve("appliance");
        Map<String, String> applianceEnv = Map.of("OUTPOST_HUB_TOKEN", connector, "OUTPOST_HUB_OUTAGE_THRESHOLD",
            THRESHOLD.toSeconds() + "s", "OUTPOST_HUB_SYNC_INTERVAL", "1s", "OUTPOST_BROKER_HEARTBEAT_INTERVAL", "2s");
        try (OutpostProcess appliance = OutpostProcess.start(tmp, applianceEnv, "appliance", "--data-dir",
            applianceData.toString(), "--https-port", Integer.toString(https), "--cluster-port",
            Integer.toString(FreePorts.next()), "--gateway-port", Integer.toString(FreePorts.next()), "--hub",
            "https://localhost:" + hubPort)) {
          appliance.awaitStdout("ready: https://localhost:" + https, START);
          SiteClient store = new SiteClient(applianceData.resolve("tls/ca.crt"), https);
          String token = created(hubApi.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"linux\"}"))
              .getString("token");
          try (OutpostProcess agent = OutpostProcess.start(tmp, Map.of(), "agent", "--appliance",
              "https://localhost:" + https, "--token", token, "--address", "127.0.0.1", "--name", "host-1",
              "--data-dir", tmp.resolve("agent").toString())) {
            agent.awaitStdout("Linked to", START);
            String user1 = store.login("user1", "user-password-1");
            Poll.until("the host serves app", Duration.ofSeconds(60), () -> available(store, user1));

            // AND user1 has a session placed by the hub, and the appliance's local host cache is on disk
            assertThat(store.post("/api/v1/resources/app/launch", user1, null).status()).isEqualTo(200);
            Path cache = applianceData.resolve("lhc/snapshot.json");
            Poll.until("the local host cache holds the site", Duration.ofSeconds(30),
                () -> Files.exists(cache) && read(cache).contains("\"app\"") && read(cache).contains("user4"));
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)))
                .isEqualTo("rw-------");
            assertThat(mode(store)).isEqualTo("hub");

            // WHEN the hub stops (its embedded database with it)
            assertThat(hub.stop()).isZero();
            long killed = System.nanoTime();

            // THEN the appliance brokers alone within the threshold (+ 5 s)
            Poll.until("local mode", THRESHOLD.plusSeconds(5), () -> "local".equals(mode(store)));
            long toLocalMs = (System.nanoTime() - killed) / 1_000_000;
            assertThat(toLocalMs).isLessThanOrEqualTo(THRESHOLD.plusSeconds(5).toMillis());
            assertThat(store.get("/health/ready", null).status()).isEqualTo(200);

            // AND users sign in from the cache and launch; the host is not over-filled (user1's hub session counts)
            String user2 = store.login("user2", "user-password-2");
            String user3 = store.login("user3", "user-password-3");
            String user4 = store.login("user4", "user-password-4");
            assertThat(store.post("/api/v1/resources/app/launch", user2, null).status()).isEqualTo(200);
            assertThat(store.post("/api/v1/resources/app/launch", user3, null).status()).isEqualTo(200);
            Response full = store.post("/api/v1/resources/app/launch", user4, null);
            assertThat(full.status()).as(full.body()).isEqualTo(409);
            assertThat(store.post("/api/v1/login", null, new JsonObject().put("username", "user1")
                .put("password", "wrong-password-1").encode()).status()).isEqualTo(401);
            Set<String> localOpen = openSessions(store, store.login("admin", ADMIN_PASSWORD));
            assertThat(localOpen).hasSize(3);

            // WHEN the hub comes back
            hub = OutpostProcess.start(tmp, fast, hubArgs);
            hub.awaitStdout("Outpost hub .* ready", START);
            Poll.until("hub mode again", Duration.ofSeconds(60), () -> "hub".equals(mode(store)));

            // THEN the hub knows exactly the appliance's sessions, and brokers with those counts
            String hubAdmin = hubApi.login("admin", ADMIN_PASSWORD);
            assertThat(openSessions(hubApi, hubAdmin)).isEqualTo(localOpen);
            Response stillFull = store.post("/api/v1/resources/app/launch", user4, null);
            assertThat(stillFull.status()).as(stillFull.body()).isEqualTo(409);
            assertThat(appliance.stdout() + appliance.stderr()).contains("brokering locally from the local host cache")
                .contains("took over this appliance's 3 session(s)");
            System.out.printf("hub stopped -> local mode in %d ms (threshold %d s)%n", toLocalMs, THRESHOLD.toSeconds());
          }
        }
      } finally {
        hub.close();
      }
    }
  }

  private static boolean available(SiteClient store, String token) {
    var items = store.get("/api/v1/resources", token).json().getJsonArray("items");
    return !items.isEmpty() && items.getJsonObject(0).getBoolean("available");
  }

  private static String mode(SiteClient store) {
    Response status = store.get("/api/v1/status", null);
    return status.status() == 200 ? status.json().getString("mode") : "status " + status.status();
  }

  private static Set<String> openSessions(SiteClient api, String admin) {
    return api.get("/admin/api/v1/sessions", admin).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(s -> !"ended".equals(s.getString("state"))).map(s -> s.getString("id")).collect(Collectors.toSet());
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      return "";
    }
  }

  private static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }
}
