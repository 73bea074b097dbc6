package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.hosts.agent.AgentIdentity;
import dev.outpost.hosts.agent.AgentRunner;
import dev.outpost.http.OutboundProxy;
import dev.outpost.lease.LeaseSites;
import dev.outpost.lease.LeaseSites.Device;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics an operator alerts on, driven on a real site and read from {@code /metrics} as a scraper does, with
 * the bearer token the site requires: sessions by state, hosts per pool, launches and their failures, lease launches,
 * the agent links, the hub link mode and the cluster's leader. A real agent links to the node; its host's service is
 * a real TCP echo server, reached through the gateway.
 */
class NodeMetricsTest {

  private static final String TOKEN = "metrics-token-0123456789abcdef";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static String admin;
  static Vertx vertx;
  static Vertx agents;
  static NetServer echo;
  static String mia;
  static String noah;

  @BeforeAll
  static void start() throws Exception {
    // GIVEN a site whose metrics need a token, a pool "desks" of one host taking one session, linked by a real agent,
    // a pool "empty" without hosts, and users mia (entitled to both pools' resources) and noah (to desks)
    vertx = Vertx.vertx();
    echo = await(vertx.createNetServer().connectHandler(socket -> socket.pipeTo(socket)).listen(0, "127.0.0.1"));
    site = TestSite.start(tmp.resolve("node"), Map.of("metrics.token", TOKEN, "hub.sync-interval", "1s"));
    client = site.client();
    admin = site.adminToken();
    created(client.post("/admin/api/v1/pools", admin, "{\"name\":\"desks\",\"maxSessionsPerHost\":1}"));
    created(client.post("/admin/api/v1/pools", admin, "{\"name\":\"empty\",\"maxSessionsPerHost\":5}"));
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "desk").put("pool", "desks")
        .put("kind", "desktop").put("port", echo.actualPort()).encode()));
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "nowhere").put("pool", "empty")
        .put("kind", "app").put("port", echo.actualPort()).encode()));
    for (String user : new String[] {"mia", "noah"}) {
      created(client.post("/admin/api/v1/users", admin, new JsonObject().put("username", user)
          .put("password", user + "-password-1").encode()));
      created(client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"desk\",\"user\":\"" + user + "\"}"));
    }
    created(client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"nowhere\",\"user\":\"mia\"}"));
    String token = created(client.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"desks\"}"))
        .getString("token");
    agents = Vertx.vertx();
    AgentRunner runner = new AgentRunner(new AgentRunner.Options(List.of(URI.create("https://localhost:"
        + site.httpsPort())), token, "127.0.0.1", tmp.resolve("agent"), "desk-1", null, 0, "test",
        OutboundProxy.direct()), line -> { });
    List<AgentIdentity> identities = runner.prepare(agents);
    runner.link(agents, identities);
    mia = client.login("mia", "mia-password-1");
    noah = client.login("noah", "noah-password-1");
    Poll.until("desk available to mia", WAIT, () -> client.get("/api/v1/resources", mia).json().getJsonArray("items")
        .stream().map(JsonObject.class::cast).anyMatch(r -> r.getString("name").equals("desk")
            && r.getBoolean("available")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (agents != null) {
      await(agents.close());
    }
    if (site != null) {
      site.close();
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  @AfterEach
  void logOffEverything() {
    for (Object open : client.get("/admin/api/v1/sessions?open=true", admin).json().getJsonArray("items")) {
      client.post("/admin/api/v1/sessions/" + ((JsonObject) open).getString("id") + "/logoff", admin, null);
    }
  }

  @Test
  void metricsAreReadWithTheTokenOnly() {
    // WHEN a scraper asks without the token, or with another one
    for (String header : new String[] {null, "Bearer not-the-token-0123456789", "Basic " + TOKEN, "Bearer"}) {
      Response refused = header == null ? client.get("/metrics", null)
          : client.send("GET", "/metrics", null, null, null, Map.of("Authorization", header));

      // THEN it gets a 401 problem that says what to send, and no metrics
      assertThat(refused.status()).as(header).isEqualTo(401);
      assertThat(refused.contentType()).isEqualTo("application/problem+json");
      assertThat(refused.json().getString("detail")).contains("Authorization: Bearer <metrics.token>");
      assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"outpost-metrics\"");
      assertThat(refused.body()).doesNotContain("outpost_");
    }

    // AND with the token it gets them
    Response scraped = client.get("/metrics", TOKEN);
    assertThat(scraped.status()).isEqualTo(200);
    assertThat(scraped.contentType()).startsWith("text/plain");
    assertThat(scraped.body()).contains("outpost_launches_total");
  }

  @Test
  void launchesAndEachWayALaunchFailsAreCountedAndSessionsByState() throws Exception {
    Metrics before = Metrics.scrape();

    // WHEN mia launches desk THEN it is placed, and her session is launching
    JsonObject launch = launch(mia, "desk", 200);
    Metrics placed = Metrics.scrape();
    assertThat(placed.delta(before, "outpost_launches_total", "result", "placed")).isEqualTo(1);
    assertThat(placed.value("outpost_sessions", "state", "launching")).isEqualTo(1);

    // WHEN she launches it again THEN that is a reconnect
    launch(mia, "desk", 200);
    // AND noah finds the only host full, mia's other resource has no host, and an unknown resource is not found
    launch(noah, "desk", 409);
    launch(mia, "nowhere", 503);
    launch(mia, "no-such-resource", 404);
    Metrics after = Metrics.scrape();
    assertThat(after.delta(before, "outpost_launches_total", "result", "reconnected")).isEqualTo(1);
    assertThat(after.delta(before, "outpost_launch_failures_total", "reason", "capacity")).isEqualTo(1);
    assertThat(after.delta(before, "outpost_launch_failures_total", "reason", "no-host")).isEqualTo(1);
    assertThat(after.delta(before, "outpost_launch_failures_total", "reason", "not-found")).isEqualTo(1);
    assertThat(after.delta(before, "outpost_launch_failures_total", "reason", "unavailable")).isZero();
    assertThat(after.delta(before, "outpost_launch_failures_total", "reason", "error")).isZero();

    // WHEN her client connects through the gateway THEN the session counts as connected
    String sessionId = launch.getJsonObject("session").getString("id");
    try (SSLSocket stream = openStream(launch.getString("ticket"))) {
      stream.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(stream.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
      awaitMetric("outpost_sessions", 1, "state", "connected");
      assertThat(Metrics.scrape().value("outpost_sessions", "state", "launching")).isZero();

      // WHEN she disconnects it THEN it counts as disconnected, and once logged off as no open session at all
      assertThat(client.post("/api/v1/sessions/" + sessionId + "/disconnect", mia, null).status()).isEqualTo(200);
      awaitMetric("outpost_sessions", 1, "state", "disconnected");
      assertThat(client.post("/api/v1/sessions/" + sessionId + "/logoff", mia, null).status()).isEqualTo(200);
      Metrics ended = Metrics.scrape();
      for (String state : new String[] {"launching", "connected", "disconnected"}) {
        assertThat(ended.value("outpost_sessions", "state", state)).as(state).isZero();
      }
    }
  }

  @Test
  void leaseLaunchesAreCountedAcceptedOrRefusedByReason() throws Exception {
    // GIVEN mia's lease on her device
    Device device = Device.create();
    JsonObject lease = LeaseSites.awaitLease(client, LeaseSites.login(client, "mia", "mia-password-1", device));
    String leaseId = lease.getString("id");
    Metrics before = Metrics.scrape();

    // WHEN her client launches with it, replays the proof, signs a proof with another key, and sends a garbled lease
    String proof = device.proof(leaseId, "desk", Instant.now());
    assertThat(LeaseSites.leaseLaunch(client, lease.getString("lease"), "desk", proof).status()).isEqualTo(200);
    assertThat(LeaseSites.leaseLaunch(client, lease.getString("lease"), "desk", proof).status()).isEqualTo(403);
    assertThat(LeaseSites.leaseLaunch(client, lease.getString("lease"), "desk",
        Device.create().proof(leaseId, "desk", Instant.now())).status()).isEqualTo(403);
    assertThat(LeaseSites.leaseLaunch(client, "not-a-lease", "desk", proof).status()).isEqualTo(403);

    // THEN one accepted lease launch, which placed a session, and one refusal for each reason
    Metrics after = Metrics.scrape();
    assertThat(after.delta(before, "outpost_lease_launches_total", "result", "accepted")).isEqualTo(1);
    assertThat(after.delta(before, "outpost_launches_total", "result", "placed")).isEqualTo(1);
    assertThat(after.delta(before, "outpost_lease_launches_total", "result", "refused", "reason", "replay"))
        .isEqualTo(1);
    assertThat(after.delta(before, "outpost_lease_launches_total", "result", "refused", "reason", "proof"))
        .isEqualTo(1);
    assertThat(after.delta(before, "outpost_lease_launches_total", "result", "refused", "reason", "malformed"))
        .isEqualTo(1);
    assertThat(after.delta(before, "outpost_lease_launches_total", "result", "refused", "reason", "expired"))
        .isZero();
  }

  @Test
  void hostsPerPoolAgentLinksHubModeAndLeaderAreReportedAndALostHostCountsAsLost() throws Exception {
    // THEN the agent's link and its registered host show, and the pool without hosts shows zeros
    assertThat(Metrics.scrape().value("outpost_agent_links")).isEqualTo(1);
    awaitMetric("outpost_hosts", 1, "pool", "desks", "state", "registered");
    Metrics now = Metrics.scrape();
    for (String state : new String[] {"registered", "draining", "maintenance", "lost"}) {
      assertThat(now.value("outpost_hosts", "pool", "empty", "state", state)).as(state).isZero();
    }
    // AND the hub link brokers through the (in-process) hub, and this single node leads its cluster
    assertThat(now.value("outpost_hub_mode", "mode", "hub")).isEqualTo(1);
    assertThat(now.value("outpost_hub_mode", "mode", "local")).isZero();
    assertThat(now.value("outpost_hub_link_up")).isEqualTo(1);
    assertThat(now.value("outpost_cluster_leader")).isEqualTo(1);
    assertThat(now.value("outpost_cluster_members")).isEqualTo(1);
    assertThat(now.value("outpost_cluster_leader_changes_total")).isZero();

    // GIVEN a second host in pool empty, registered
    String poolId = Sql.rows(site, "SELECT id::text FROM pools WHERE name = 'empty'").get(0).getString("id");
    UUID hostId = UUID.randomUUID();
    Sql.update(site, "INSERT INTO hosts(id, name, pool_id, address, certificate_sha256) VALUES ($1, $2, $3, $4, $5)",
        hostId, "spare-1", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId);
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "spare-1", poolId,
        "127.0.0.1", site.node().nodeId(), Map.of(echo.actualPort(), true), 0.1, List.of())));
    awaitMetric("outpost_hosts", 1, "pool", "empty", "state", "registered");

    // WHEN it is lost THEN it counts as lost in its pool, no more as registered
    await(site.node().hostEvents().lost(hostId.toString(), "agent link closed"));
    awaitMetric("outpost_hosts", 1, "pool", "empty", "state", "lost");
    assertThat(Metrics.scrape().value("outpost_hosts", "pool", "empty", "state", "registered")).isZero();
    assertThat(Metrics.scrape().value("outpost_hosts", "pool", "desks", "state", "registered")).isEqualTo(1);
  }

  // ---- helpers ----

  /** One scrape, read line by line. */
  record Metrics(List<String> lines) {

    static Metrics scrape() {
      Response response = client.get("/metrics", TOKEN);
      assertThat(response.status()).as(response.body()).isEqualTo(200);
      return new Metrics(response.body().lines().filter(l -> !l.startsWith("#")).toList());
    }

    /** The value of the series with this name and these labels (name, value, name, value ...). */
    double value(String name, String... labels) {
      return lines.stream().filter(line -> matches(line, name, labels))
          .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
          .findFirst().orElseThrow(() -> new AssertionError("no series " + name + " " + List.of(labels)));
    }

    double delta(Metrics before, String name, String... labels) {
      return value(name, labels) - before.value(name, labels);
    }

    private static boolean matches(String line, String name, String[] labels) {
      String series = line.substring(0, line.lastIndexOf(' '));
      if (!series.equals(name) && !series.startsWith(name + "{")) {
        return false;
      }
      for (int i = 0; i < labels.length; i += 2) {
        if (!series.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) {
          return false;
        }
      }
      return true;
    }
  }

  static void awaitMetric(String name, double expected, String... labels) throws InterruptedException {
    Poll.until(name + " " + List.of(labels) + " = " + expected, WAIT, () -> {
      try {
        return Metrics.scrape().value(name, labels) == expected;
      } catch (AssertionError notYet) {
        return false;
      }
    });
  }

  static JsonObject launch(String token, String resource, int status) {
    Response response = client.post("/api/v1/resources/" + resource + "/launch", token, null);
    assertThat(response.status()).as(resource + ": " + response.body()).isEqualTo(status);
    return response.json();
  }

  /** A raw gateway stream with the ticket, once the gateway answered OK. */
  static SSLSocket openStream(String ticket) throws IOException {
    SSLSocket socket = (SSLSocket) SiteClient.trusting(site.dataDir().resolve("tls/ca.crt")).getSocketFactory()
        .createSocket("localhost", site.node().gatewayPort());
    socket.setSoTimeout(15_000);
    socket.getOutputStream().write(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII));
    StringBuilder answer = new StringBuilder();
    InputStream in = socket.getInputStream();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      answer.append((char) c);
    }
    assertThat(answer.toString()).startsWith("OK ");
    return socket;
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

}
