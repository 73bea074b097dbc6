package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Brokering with every role a separate process: {@code outpost hub}, {@code outpost appliance --hub} and three
 * {@code outpost agent}s. 30 users launch 10 resources each (300 sessions) onto 3 hosts of 100 sessions.
 */
class BrokeringProcessIT {

  private static final Duration START = Duration.ofMinutes(2);
  private static final String ADMIN_PASSWORD = "hub-admin-password-1";
  private static final int USERS = 30;
  private static final int RESOURCES = 10;

  @TempDir
  Path tmp;

  @Test
  void threeHundredSessionsSpreadEvenlyStopAtCapacityReconnectDrainAndSurviveHostLoss() throws Exception {
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    int hubPort = FreePorts.next();
    Map<String, String> fastHeartbeats = Map.of("OUTPOST_BROKER_HEARTBEAT_INTERVAL", "2s");
    List<OutpostProcess> agents = new ArrayList<>();
    // the TCP service the hosts publish: the agents watch it on 127.0.0.1
    try (ServerSocket service = new ServerSocket(0);
        OutpostProcess hub = OutpostProcess.start(tmp, fastHeartbeats, "hub", "--data-dir",
            tmp.resolve("hub").toString(), "--hub-port", Integer.toString(hubPort), "--admin-password-file",
            passwordFile.toString())) {
      hub.awaitStdout("Outpost hub .* ready", START);
      SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
      String admin = hubApi.login("admin", ADMIN_PASSWORD);

      // GIVEN a location with a pool of 100 sessions per host, 10 resources, and 30 entitled users
      String connector = created(hubApi.post("/admin/api/v1/locations", admin, "{\"name\":\"site-a\"}"))
          .getString("connectorToken");
      created(hubApi.post("/admin/api/v1/pools", admin,
          "{\"name\":\"linux\",\"maxSessionsPerHost\":100,\"location\":\"site-a\"}"));
      created(hubApi.post("/admin/api/v1/groups", admin, "{\"name\":\"staff\"}"));
      for (int r = 1; r <= RESOURCES; r++) {
        created(hubApi.post("/admin/api/v1/resources", admin, "{\"name\":\"app-" + r
            + "\",\"pool\":\"linux\",\"kind\":\"app\",\"port\":" + service.getLocalPort() + "}"));
        created(hubApi.post("/admin/api/v1/entitlements", admin,
            "{\"resource\":\"app-" + r + "\",\"group\":\"staff\"}"));
      }
      JsonArray members = new JsonArray();
      for (int u = 1; u <= USERS + 1; u++) {
        created(hubApi.post("/admin/api/v1/users", admin, "{\"username\":\"user" + u
            + "\",\"password\":\"user-password-" + u + "\"}"));
        members.add("user" + u);
      }
      assertThat(hubApi.put("/admin/api/v1/groups/staff", admin, new JsonObject().put("members", members).encode())
          .status()).isEqualTo(200);

      // AND an appliance of the location, and three agents enrolled through it with a token made on the hub
      int https = FreePorts.next();
      Path applianceData = tmp.resolve("appliance");
      try (OutpostProcess appliance = OutpostProcess.start(tmp, Map.of("OUTPOST_HUB_TOKEN", connector), "appliance",
          "--data-dir", applianceData.toString(), "--https-port", Integer.toString(https), "--cluster-bus-port",
          Integer.toString(FreePorts.next()), "--cluster-port", Integer.toString(FreePorts.next()), "--gateway-port",
          Integer.toString(FreePorts.next()), "--hub", "https://localhost:" + hubPort)) {
        appliance.awaitStdout("ready: https://localhost:" + https, START);
        SiteClient store = new SiteClient(applianceData.resolve("tls/ca.crt"), https);
        JsonObject enroll = created(hubApi.post("/admin/api/v1/enroll-tokens", admin,
            "{\"pool\":\"linux\",\"uses\":3}"));
        for (int h = 1; h <= 3; h++) {
          agents.add(OutpostProcess.start(tmp, Map.of(), "agent", "--appliance", "https://localhost:" + https,
              "--token", enroll.getString("token"), "--address", "127.0.0.1", "--name", "host-" + h, "--data-dir",
              tmp.resolve("agent-" + h).toString()));
        }
        String applianceAdmin = store.login("admin", ADMIN_PASSWORD);
        await(() -> hosts(store, applianceAdmin).size() == 3, "three hosts registered");
        await(() -> hosts(store, applianceAdmin).stream().allMatch(h -> Boolean.TRUE.equals(
            h.getJsonObject("services").getBoolean(Integer.toString(service.getLocalPort())))), "services up");

        // WHEN 30 users each launch the 10 resources
        Map<String, String> tokens = new HashMap<>();
        Map<String, String> firstHost = new HashMap<>();
        for (int u = 1; u <= USERS; u++) {
          String token = store.login("user" + u, "user-password-" + u);
          tokens.put("user" + u, token);
          assertThat(store.get("/api/v1/resources", token).json().getJsonArray("items")).hasSize(RESOURCES);
          for (int r = 1; r <= RESOURCES; r++) {
            Response launch = store.post("/api/v1/resources/app-" + r + "/launch", token, null);
            assertThat(launch.status()).as(launch.body()).isEqualTo(200);
            firstHost.put("user" + u + "/app-" + r, launch.json().getJsonObject("session").getString("host"));
          }
        }

        // THEN the 300 sessions are spread 100/100/100 over the hosts
        Map<String, Integer> perHost = hosts(store, applianceAdmin).stream()
            .collect(Collectors.toMap(h -> h.getString("name"), h -> h.getInteger("sessions")));
        assertThat(perHost).containsOnly(Map.entry("host-1", 100), Map.entry("host-2", 100), Map.entry("host-3", 100));
        assertThat(store.get("/admin/api/v1/sessions?open=true&limit=5000", applianceAdmin).json()
            .getJsonArray("items")).hasSize(USERS * RESOURCES);

        // AND a 31st user is refused with 409, while a returning user reconnects to the same host
        String extra = store.login("user31", "user-password-31");
        Response full = store.post("/api/v1/resources/app-1/launch", extra, null);
        assertThat(full.status()).as(full.body()).isEqualTo(409);
        assertThat(full.json().getString("detail")).isEqualTo(dev.outpost.error.UserRefusal.BUSY);
        Response again = store.post("/api/v1/resources/app-3/launch", tokens.get("user7"), null);
        assertThat(again.json().getBoolean("reconnected")).isTrue();
        assertThat(again.json().getJsonObject("session").getString("host")).isEqualTo(firstHost.get("user7/app-3"));

        // WHEN host-1 is drained and one of its sessions logs off
        String host1 = hostId(store, applianceAdmin, "host-1");
        assertThat(store.put("/admin/api/v1/hosts/" + host1, applianceAdmin, "{\"draining\":true}").status())
            .isEqualTo(200);
        String onHost1 = firstSession(store, applianceAdmin, "host-1");
        assertThat(store.post("/admin/api/v1/sessions/" + onHost1 + "/logoff", applianceAdmin, null).status())
            .isEqualTo(200);
        // THEN the freed place is not used: the draining host takes no new session
        Response whileDraining = store.post("/api/v1/resources/app-1/launch", extra, null);
        assertThat(whileDraining.status()).as(whileDraining.body()).isEqualTo(409);

        // WHEN host-2's agent dies without a word
        agents.get(1).kill();
        // THEN after 3 missed heartbeats it is unregistered and its sessions end, freeing room for new launches
        await(() -> hosts(store, applianceAdmin).stream().noneMatch(h -> h.getString("name").equals("host-2")),
            "host-2 unregistered");
        JsonArray ended = store.get("/admin/api/v1/sessions?host=host-2&limit=5000", applianceAdmin).json()
            .getJsonArray("items");
        assertThat(ended).isNotEmpty()
            .allSatisfy(s -> assertThat(((JsonObject) s).getString("state")).isEqualTo("ended"));
        Response afterLoss = store.post("/api/v1/resources/app-1/launch", extra, null);
        assertThat(afterLoss.status()).as(afterLoss.body()).isEqualTo(409);
        // (host-3 is still full and host-1 drains: undrain it and the extra user gets in)
        store.put("/admin/api/v1/hosts/" + host1, applianceAdmin, "{\"draining\":false}");
        Response afterUndrain = store.post("/api/v1/resources/app-1/launch", extra, null);
        assertThat(afterUndrain.status()).as(afterUndrain.body()).isEqualTo(200);
        assertThat(afterUndrain.json().getJsonObject("session").getString("host")).isEqualTo("host-1");
      } finally {
        agents.forEach(OutpostProcess::close);
      }
    }
  }

  private static List<JsonObject> hosts(SiteClient store, String token) {
    return store.get("/admin/api/v1/hosts", token).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).toList();
  }

  private static String hostId(SiteClient store, String token, String name) {
    return hosts(store, token).stream().filter(h -> h.getString("name").equals(name)).findFirst().orElseThrow()
        .getString("id");
  }

  private static String firstSession(SiteClient store, String token, String host) {
    return store.get("/admin/api/v1/sessions?open=true&host=" + host + "&limit=1", token).json().getJsonArray("items")
        .getJsonObject(0).getString("id");
  }

  private static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  private static void await(Supplier<Boolean> condition, String what) throws InterruptedException {
    dev.outpost.testing.Poll.until(what, Duration.ofSeconds(60), condition::get);
  }
}
