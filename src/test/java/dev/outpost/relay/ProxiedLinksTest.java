package dev.outpost.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.outpost.testing.Await.await;

import dev.outpost.appliance.ApplianceNode;
import dev.outpost.appliance.Console;
import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.hosts.agent.AgentException;
import dev.outpost.hosts.agent.AgentIdentity;
import dev.outpost.hosts.agent.AgentRunner;
import dev.outpost.http.OutboundProxy;
import dev.outpost.hub.HubNode;
import dev.outpost.testing.ConnectProxy;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outbound links through a customer's HTTP CONNECT proxy: a separate hub, an appliance that enrolls with it and
 * keeps its tunnel through a real proxy (with basic credentials), and agents that enroll and link to that
 * appliance through the same proxy, or around it when {@code NO_PROXY} says so.
 */
class ProxiedLinksTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final String HUB_ADMIN_PASSWORD = "proxy-test-hub-admin-1";
  private static final String PROXY_USER = "outpost";
  private static final String PROXY_PASSWORD = "proxy pass:1";

  @TempDir
  static Path tmp;
  static Vertx vertx;
  static ConnectProxy proxy;
  static HubNode hub;
  static SiteClient hubClient;
  static String hubAdmin;
  static String connectorToken;
  static TestSite appliance;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    proxy = ConnectProxy.start(vertx, PROXY_USER, PROXY_PASSWORD);
    Path hubData = tmp.resolve("hub");
    Files.createDirectories(hubData);
    Path password = tmp.resolve("hub-admin-password");
    Files.writeString(password, HUB_ADMIN_PASSWORD);
    OutpostConfig hubConfig = ConfigLoader.create(Map.of("data-dir", hubData.toString(), "hub.host", "127.0.0.1",
        "hub.port", "0", "admin.password-file", password.toString()), Map.of(), null).load();
    hub = await(HubNode.start(hubConfig.hubSettings(), SiteCertificates.loadOrCreate(hubData.resolve("tls"), "hub",
        List.of()), line -> { }));
    hubClient = new SiteClient(hubData.resolve("tls/ca.crt"), hub.port());
    hubAdmin = hubClient.login("admin", HUB_ADMIN_PASSWORD);
    Response location = hubClient.post("/admin/api/v1/locations", hubAdmin, "{\"name\":\"branch\"}");
    assertThat(location.status()).as(location.body()).isEqualTo(201);
    connectorToken = location.json().getString("connectorToken");
    Response pool = hubClient.post("/admin/api/v1/pools", hubAdmin,
        "{\"name\":\"branch-hosts\",\"maxSessionsPerHost\":5,\"location\":\"branch\"}");
    assertThat(pool.status()).as(pool.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() throws Exception {
    if (appliance != null) {
      appliance.close();
    }
    if (hub != null) {
      await(hub.stop());
    }
    if (proxy != null) {
      proxy.close();
    }
    if (vertx != null) {
      await(vertx.close());
    }
  }

  @Test
  void theApplianceEnrollsWithTheHubAndKeepsItsTunnelThroughTheProxy() throws Exception {
    // GIVEN a proxy that wants credentials
    // WHEN an appliance told to use it with them starts for the first time
    TestSite site = appliance();

    // THEN both the enrollment and the tunnel went through the proxy to the hub
    String hubTarget = "localhost:" + hub.port();
    assertThat(proxy.tunnels()).filteredOn(hubTarget::equals).hasSizeGreaterThanOrEqualTo(2);
    Poll.until("the hub link is up", WAIT, () -> site.client().get("/health/ready", null).status() == 200);
    assertThat(site.client().get("/api/v1/status", null).json().getString("location")).isEqualTo("branch");
  }

  @Test
  void anAgentEnrollsAndLinksThroughTheProxy() throws Exception {
    // GIVEN a running appliance of the hub's location and a token for its pool
    TestSite site = appliance();
    String token = enrollToken();
    int before = proxy.tunnels().size();

    // WHEN an agent enrolls and links with the proxy and its credentials
    // THEN the appliance sees the host linked
    enrollAndLink(site, token, "proxied-host",
        OutboundProxy.of(proxy.url(PROXY_USER, "proxy%20pass%3A1"), List.of()));

    // AND both connections were tunnels to the appliance's port
    assertThat(proxy.tunnels().subList(before, proxy.tunnels().size()))
        .containsExactly("localhost:" + site.httpsPort(), "localhost:" + site.httpsPort());
  }

  @Test
  void wrongProxyCredentialsAreNamedAsSuchForAgentsAndAppliances() throws Exception {
    // GIVEN the proxy URL with a wrong password
    TestSite site = appliance();
    String token = enrollToken();
    String wrong = proxy.url(PROXY_USER, "not-the-password");
    int refusedBefore = proxy.refused().size();

    // WHEN an agent tries to enroll through it THEN it fails with one line that blames the proxy credentials
    Vertx agents = Vertx.vertx();
    try {
      AgentRunner runner = new AgentRunner(agentOptions(site, token, "refused-host",
          OutboundProxy.of(wrong, List.of())), line -> { });
      assertThatThrownBy(() -> runner.prepare(agents))
          .isInstanceOf(AgentException.class)
          .hasMessageContaining("the proxy 127.0.0.1:" + proxy.port() + " refused the tunnel to localhost:"
              + site.httpsPort() + " (407 Proxy Authentication Required); check the user and password")
          .hasMessageNotContaining("not-the-password")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    } finally {
      await(agents.close());
    }

    // WHEN an appliance tries to enroll with the hub through it THEN it does not start, saying the same
    Map<String, String> settings = new HashMap<>(hubSettings());
    settings.put("proxy.url", wrong);
    assertThatThrownBy(() -> startNode(tmp.resolve("refused-appliance"), settings))
        .hasMessageContaining("proxy.url: cannot enroll with https://localhost:" + hub.port() + ": the proxy 127.0.0.1:"
            + proxy.port() + " refused the tunnel to localhost:" + hub.port() + " (407 Proxy Authentication Required)")
        .hasMessageNotContaining("not-the-password");
    assertThat(proxy.refused().size()).isEqualTo(refusedBefore + 2);
  }

  @Test
  void theTunnelIsTlsEndToEndSoATokenForAnotherCaIsStillRefused() throws Exception {
    // GIVEN a token that names a CA other than the appliance's
    TestSite site = appliance();
    String token = enrollToken().replaceFirst("\\.[0-9a-f]{64}\\.", "." + "ab".repeat(32) + ".");

    // WHEN an agent enrolls through the proxy THEN the pinned CA check still runs against the appliance itself
    Vertx agents = Vertx.vertx();
    try {
      AgentRunner runner = new AgentRunner(agentOptions(site, token, "pinned-host",
          OutboundProxy.of(proxy.url(PROXY_USER, "proxy%20pass%3A1"), List.of())), line -> { });
      assertThatThrownBy(() -> runner.prepare(agents))
          .isInstanceOf(AgentException.class)
          .hasMessageContaining("the appliance at https://localhost:" + site.httpsPort() + " presents CA sha256 "
              + site.node().caFingerprintDisplay() + ", but the token expects AB:AB:");
    } finally {
      await(agents.close());
    }
  }

  @Test
  void noProxyLetsAnAgentReachTheApplianceDirectly() throws Exception {
    // GIVEN HTTPS_PROXY names the proxy and NO_PROXY names the appliance's host
    TestSite site = appliance();
    String token = enrollToken();
    OutboundProxy fromEnv = OutboundProxy.fromEnvironment(Map.of("HTTPS_PROXY", proxy.url(PROXY_USER,
        "proxy%20pass%3A1"), "NO_PROXY", "example.com,.localhost,localhost"));
    List<String> tunnelsBefore = proxy.tunnels();

    // WHEN an agent enrolls and links
    enrollAndLink(site, token, "direct-host", fromEnv);

    // THEN it never went through the proxy
    assertThat(proxy.tunnels()).isEqualTo(tunnelsBefore);
  }

  /** The appliance enrolled with the hub through the proxy, started by whichever test needs it first. */
  private static synchronized TestSite appliance() {
    if (appliance == null) {
      Map<String, String> settings = new HashMap<>(hubSettings());
      settings.put("proxy.url", proxy.url(PROXY_USER, "proxy%20pass%3A1"));
      appliance = TestSite.start(tmp.resolve("appliance"), settings);
    }
    return appliance;
  }

  private static Map<String, String> hubSettings() {
    return Map.of("hub.url", "https://localhost:" + hub.port(), "hub.token", connectorToken);
  }

  private static String enrollToken() {
    Response created = hubClient.post("/admin/api/v1/enroll-tokens", hubAdmin,
        new JsonObject().put("pool", "branch-hosts").put("uses", 1).encode());
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json().getString("token");
  }

  /** Enrolls a host with {@code token} and links its agent; returns once the appliance lists the link. */
  private static void enrollAndLink(TestSite site, String token, String name, OutboundProxy through)
      throws Exception {
    Vertx agents = Vertx.vertx();
    try {
      AgentRunner runner = new AgentRunner(agentOptions(site, token, name, through), line -> { });
      List<AgentIdentity> identities = runner.prepare(agents);
      runner.link(agents, identities);
      String hostId = identities.get(0).hostId();
      Poll.until("the agent is linked", WAIT, () -> site.node().agentEndpoint().linked().stream()
          .anyMatch(agent -> agent.hostId().equals(hostId)));
    } finally {
      await(agents.close());
    }
  }

  private static AgentRunner.Options agentOptions(TestSite site, String token, String name, OutboundProxy proxy) {
    return new AgentRunner.Options(List.of(URI.create("https://localhost:" + site.httpsPort())), token, "127.0.0.1",
        tmp.resolve("agent-" + name), name, null, 0, "test", proxy);
  }

  /** Starts an appliance node directly, to see the start-up failure itself. */
  private static void startNode(Path dataDir, Map<String, String> settings) throws Exception {
    Map<String, String> flags = new HashMap<>(settings);
    flags.put("data-dir", dataDir.toString());
    flags.put("http.port", "0");
    flags.put("gateway.port", "0");
    flags.put("cluster.port", Integer.toString(FreePorts.next()));
    flags.put("cluster.name", "refused-" + System.nanoTime());
    OutpostConfig config = ConfigLoader.create(flags, Map.of(), null).load();
    Console console = new Console(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    List<Throwable> failure = new ArrayList<>();
    ApplianceNode node = ApplianceNode.start(config, console).onFailure(failure::add).toCompletionStage()
        .toCompletableFuture().exceptionally(e -> null).get(2, TimeUnit.MINUTES);
    if (node != null) {
      await(node.stop());
      throw new AssertionError("the node started");
    }
    throw new IllegalStateException(failure.get(0).getMessage(), failure.get(0));
  }

}
