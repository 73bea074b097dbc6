package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TcpProxy;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outage mode with real processes: a hub, an appliance of its location and a session host's agent. When the hub
 * is killed, or the link to it is blackholed, the appliance brokers alone from its local host cache within the
 * threshold, signs users in from it and never over-fills the host; when the hub is back, it takes the appliance's
 * sessions over and its counts match the appliance's exactly.
 */
class HubOutageIT {

  private static final Duration START = Duration.ofMinutes(2);
  private static final String ADMIN_PASSWORD = "hub-admin-password-1";
  private static final Duration THRESHOLD = Duration.ofSeconds(4);
  private static final Map<String, String> FAST = Map.of("OUTPOST_BROKER_HEARTBEAT_INTERVAL", "2s");

  @TempDir
  Path tmp;
  int hubPort;
  String[] hubArgs;
  OutpostProcess hub;
  OutpostProcess appliance;
  OutpostProcess agent;
  ServerSocket service;
  SiteClient hubApi;
  SiteClient store;
  String hubAdmin;
  String connectorToken;

  /** A hub with a location whose one host takes 3 sessions, one resource, and four entitled users. */
  @BeforeEach
  void hub() throws Exception {
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    hubPort = FreePorts.next();
    hubArgs = new String[] {"hub", "--data-dir", tmp.resolve("hub").toString(), "--hub-port",
        Integer.toString(hubPort), "--admin-password-file", passwordFile.toString()};
    service = new ServerSocket(0);
    hub = OutpostProcess.start(tmp, FAST, hubArgs);
    hub.awaitStdout("Outpost hub .* ready", START);
    hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
    hubAdmin = hubApi.login("admin", ADMIN_PASSWORD);
    connectorToken = hubApi.post("/admin/api/v1/locations", hubAdmin, "{\"name\":\"site-a\"}").created()
        .getString("connectorToken");
    hubApi.post("/admin/api/v1/pools", hubAdmin,
        "{\"name\":\"linux\",\"maxSessionsPerHost\":3,\"location\":\"site-a\"}").created();
  }

  @AfterEach
  void stop() throws Exception {
    for (OutpostProcess p : new OutpostProcess[] {agent, appliance, hub}) {
      if (p != null) {
        p.close();
      }
    }
    service.close();
  }

  /** The appliance (reaching the hub at {@code hubUrlPort}) and the host's agent; user1 has a hub session. */
  private void applianceAndHost(int hubUrlPort) throws Exception {
    int https = FreePorts.next();
    Path applianceData = tmp.resolve("appliance");
    Map<String, String> env = Map.of("OUTPOST_HUB_TOKEN", connectorToken, "OUTPOST_HUB_OUTAGE_THRESHOLD",
        THRESHOLD.toSeconds() + "s", "OUTPOST_HUB_SYNC_INTERVAL", "1s", "OUTPOST_BROKER_HEARTBEAT_INTERVAL", "2s");
    appliance = OutpostProcess.start(tmp, env, "appliance", "--data-dir", applianceData.toString(), "--https-port",
        Integer.toString(https), "--cluster-bus-port", Integer.toString(FreePorts.next()), "--cluster-port",
        Integer.toString(FreePorts.next()), "--gateway-port", Integer.toString(FreePorts.next()), "--hub",
        "https://localhost:" + hubUrlPort);
    appliance.awaitStdout("ready: https://localhost:" + https, START);
    store = new SiteClient(applianceData.resolve("tls/ca.crt"), https);
    String token = hubApi.post("/admin/api/v1/enroll-tokens", hubAdmin, "{\"pool\":\"linux\"}").created()
        .getString("token");
    agent = OutpostProcess.start(tmp, Map.of(), "agent", "--appliance", "https://localhost:" + https, "--token",
        token, "--address", "127.0.0.1", "--name", "host-1", "--data-dir", tmp.resolve("agent").toString());
    agent.awaitStdout("Linked to", START);
    String user1 = store.login("user1", "user-password-1");
    Poll.until("the host serves app", Duration.ofSeconds(60), () -> available(store, user1));
    assertThat(store.post("/api/v1/resources/app/launch", user1, null).status()).isEqualTo(200);
    Path cache = applianceData.resolve("lhc/snapshot.json");
    Poll.until("the local host cache holds the site", Duration.ofSeconds(30),
        () -> SiteClient.readOrEmpty(cache).contains("\"app\"") && SiteClient.readOrEmpty(cache).contains("user4"));
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache))).isEqualTo("rw-------");
    assertThat(mode()).isEqualTo("hub");
  }

  @Test
  void theApplianceBrokersAloneWhileTheHubIsDownAndTheHubTakesOverAfterwards() throws Exception {
    // GIVEN the site with user1's session placed by the hub
    publish();
    applianceAndHost(hubPort);

    // WHEN the hub dies (SIGKILL: its embedded database is left running, and the next start must cope)
    hub.kill();
    long stopped = System.nanoTime();

    // THEN the appliance brokers alone within the threshold (+ 5 s), and it does so correctly
    Poll.until("local mode", THRESHOLD.plusSeconds(5), () -> "local".equals(mode()));
    long toLocalMs = (System.nanoTime() - stopped) / 1_000_000;
    Set<String> localOpen = brokerAlone();

    // WHEN the hub comes back
    hub = OutpostProcess.start(tmp, FAST, hubArgs);
    hub.awaitStdout("Outpost hub .* ready", START);

    // THEN it takes the appliance's sessions over and brokers with exactly those counts
    hubTakesOver(localOpen);
    System.out.printf("hub killed -> local mode in %d ms (threshold %d s)%n", toLocalMs, THRESHOLD.toSeconds());
  }

  @Test
  void aBlackholedHubLinkAlsoMeansLocalModeAndTheHubTakesOverWhenTheLinkIsBack() throws Exception {
    // GIVEN the appliance reaches the hub through a link that can fail silently
    publish();
    try (TcpProxy link = new TcpProxy(hubPort)) {
      applianceAndHost(link.port());

      // WHEN the link drops every packet (no reset: only the missing answers tell)
      link.blackhole();
      long cut = System.nanoTime();

      // THEN local mode comes within the threshold (+ 5 s), and brokering alone is correct
      Poll.until("local mode", THRESHOLD.plusSeconds(5), () -> "local".equals(mode()));
      long toLocalMs = (System.nanoTime() - cut) / 1_000_000;
      Set<String> localOpen = brokerAlone();

      // WHEN the link is back THEN the hub (which kept running) takes over with exactly the appliance's counts
      link.restore();
      hubTakesOver(localOpen);
      System.out.printf("hub link blackholed -> local mode in %d ms (threshold %d s)%n", toLocalMs,
          THRESHOLD.toSeconds());
    }
  }

  private void publish() {
    hubApi.post("/admin/api/v1/resources", hubAdmin, "{\"name\":\"app\",\"pool\":\"linux\",\"kind\":\"app\","
        + "\"port\":" + service.getLocalPort() + "}").created();
    for (int u = 1; u <= 4; u++) {
      hubApi.post("/admin/api/v1/users", hubAdmin, "{\"username\":\"user" + u + "\",\"password\":"
          + "\"user-password-" + u + "\"}").created();
      hubApi.post("/admin/api/v1/entitlements", hubAdmin, "{\"resource\":\"app\",\"user\":\"user" + u + "\"}")
          .created();
    }
  }

  /** Users sign in from the cache and launch; the host is not over-filled (user1's hub session counts). */
  private Set<String> brokerAlone() {
    assertThat(store.get("/health/ready", null).status()).isEqualTo(200);
    String user2 = store.login("user2", "user-password-2");
    String user3 = store.login("user3", "user-password-3");
    String user4 = store.login("user4", "user-password-4");
    assertThat(store.post("/api/v1/resources/app/launch", user2, null).status()).isEqualTo(200);
    assertThat(store.post("/api/v1/resources/app/launch", user3, null).status()).isEqualTo(200);
    Response full = store.post("/api/v1/resources/app/launch", user4, null);
    assertThat(full.status()).as(full.body()).isEqualTo(409);
    assertThat(store.post("/api/v1/login", null, new JsonObject().put("username", "user1")
        .put("password", "wrong-password-1").encode()).status()).isEqualTo(401);
    Set<String> open = openSessions(store, store.login("admin", ADMIN_PASSWORD));
    assertThat(open).hasSize(3);
    return open;
  }

  private void hubTakesOver(Set<String> localOpen) throws Exception {
    Poll.until("hub mode again", Duration.ofSeconds(60), () -> "hub".equals(mode()));
    String admin = hubApi.login("admin", ADMIN_PASSWORD);
    assertThat(openSessions(hubApi, admin)).isEqualTo(localOpen);
    Response stillFull = store.post("/api/v1/resources/app/launch", store.login("user4", "user-password-4"), null);
    assertThat(stillFull.status()).as(stillFull.body()).isEqualTo(409);
    assertThat(appliance.stdout() + appliance.stderr()).contains("brokering locally from the local host cache")
        .contains("took over this appliance's 3 session(s)");
  }

  private String mode() {
    Response status = store.get("/api/v1/status", null);
    return status.status() == 200 ? status.json().getString("mode") : "status " + status.status();
  }

  private static boolean available(SiteClient store, String token) {
    var items = store.get("/api/v1/resources", token).json().getJsonArray("items");
    return !items.isEmpty() && items.getJsonObject(0).getBoolean("available");
  }

  private static Set<String> openSessions(SiteClient api, String admin) {
    return api.get("/admin/api/v1/sessions", admin).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(s -> !"ended".equals(s.getString("state")))
        .map(s -> s.getString("id")).collect(Collectors.toSet());
  }
}
