package dev.outpost.renewal;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.hosts.agent.AgentIdentity;
import dev.outpost.hosts.agent.AgentRunner;
import dev.outpost.http.OutboundProxy;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificates that live minutes, on a real site with real agents linked in this JVM: the agents renew theirs over
 * their links while they heartbeat and users launch and stream through the gateway, and no link drops; the node
 * re-issues its own certificate and its listeners present it without a restart; an expired certificate is refused,
 * and the renewed agents link again with what they stored and still reach their sessions.
 */
class CertificateRenewalTest {

  private static final Duration WAIT = Duration.ofMinutes(3);
  private static final int SIMULATED = 10;
  private static final String PASSWORD = "mia-password-1";

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static String admin;
  static String mia;
  static Vertx vertx;
  static Vertx agents;
  static NetServer echo;
  static List<Path> agentDirs = new ArrayList<>();
  /** Every host's client certificate as enrolled, by host id. */
  static Map<String, X509Certificate> enrolled;

  @BeforeAll
  static void start() throws Exception {
    // GIVEN a site whose agent certificates live 90 s and its own 2 min, renewed at 40% of their lifetime; a pool of
    // hosts whose service is a real TCP echo server; one real agent and ten simulated ones, heartbeating every second
    vertx = Vertx.vertx();
    echo = await(vertx.createNetServer().connectHandler(socket -> socket.pipeTo(socket)).listen(0, "127.0.0.1"));
    site = TestSite.start(tmp.resolve("node"), Map.of("tls.agent-certificate-validity", "90s",
        "tls.node-certificate-validity", "2m", "tls.renew-at", "40", "broker.heartbeat-interval", "1s"));
    client = site.client();
    admin = site.adminToken();
    created(client.post("/admin/api/v1/pools", admin, "{\"name\":\"desks\",\"maxSessionsPerHost\":20}"));
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "desk").put("pool", "desks")
        .put("kind", "desktop").put("port", echo.actualPort()).encode()));
    for (String user : List.of("mia", "noah")) {
      created(client.post("/admin/api/v1/users", admin, new JsonObject().put("username", user)
          .put("password", PASSWORD).encode()));
      created(client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"desk\",\"user\":\"" + user
          + "\"}"));
    }
    String token = created(client.post("/admin/api/v1/enroll-tokens", admin,
        "{\"pool\":\"desks\",\"uses\":" + (SIMULATED + 1) + "}")).getString("token");
    agents = Vertx.vertx();
    agentDirs.add(tmp.resolve("agent-real"));
    agentDirs.add(tmp.resolve("agent-simulated"));
    link(token);
    mia = client.login("mia", PASSWORD);
    Poll.until("every host linked", WAIT, () -> linkedSince().size() == SIMULATED + 1);
    enrolled = Sql.rows(site, "SELECT id::text AS id, certificate_sha256 AS sha FROM hosts").stream()
        .collect(Collectors.toMap(row -> row.getString("id"), row -> certificateOnDisk(row.getString("id"))));
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

  @Test
  void agentsRenewOverTheirLinksUnderLoadNoLinkDropsAndRenewedAgentsStillReachTheirSessions() throws Exception {
    // GIVEN the links as they are, and a user's stream through the gateway to a host that stays open throughout
    Map<String, String> since = linkedSince();
    JsonObject launch = launch();
    try (SSLSocket stream = openStream(launch.getString("ticket"));
        Load load = Load.start()) {
      echo(stream, "before");

      // WHEN every host's certificate reaches its renewal point while the load runs
      Poll.until("every host renewed its certificate", WAIT, () -> Sql.count(site,
          "SELECT count(*) FROM hosts WHERE previous_certificate_sha256 IS NOT NULL") == SIMULATED + 1);

      // THEN each agent stored a new key and certificate, owner-only, for the same host, from the site CA
      for (Map.Entry<String, X509Certificate> host : enrolled.entrySet()) {
        X509Certificate renewed = certificateOnDisk(host.getKey());
        assertThat(Fingerprints.sha256(renewed)).isNotEqualTo(Fingerprints.sha256(host.getValue()));
        assertThat(renewed.getPublicKey()).isNotEqualTo(host.getValue().getPublicKey());
        assertThat(renewed.getSubjectX500Principal()).isEqualTo(host.getValue().getSubjectX500Principal());
        renewed.verify(site.node().certificates().caCertificate().getPublicKey());
        for (String file : List.of("agent.key", "agent.crt")) {
          assertThat(Files.getPosixFilePermissions(dirOf(host.getKey()).resolve(file))).as(file)
              .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
      }
      // AND the audit log says so, the links are the very ones from before, and nothing failed meanwhile
      assertThat(Sql.count(site, "SELECT count(DISTINCT target_id) FROM audit_log "
          + "WHERE action = 'host.certificate-renew'")).isEqualTo(SIMULATED + 1);
      assertThat(linkedSince()).isEqualTo(since);
      echo(stream, "after");
      assertThat(load.failures()).as(load.describe()).isEmpty();
      assertThat(load.rounds()).isPositive();
    }

    // WHEN the certificates they enrolled with have expired
    Instant expired = enrolled.values().stream().map(c -> c.getNotAfter().toInstant()).max(Instant::compareTo)
        .orElseThrow();
    Poll.until("the enrolled certificates expired", WAIT, () -> Instant.now().isAfter(expired.plusSeconds(1)));

    // THEN a link with one of them is refused
    String realHost = hostOf(agentDirs.get(0));
    assertThat(linkWith(enrolled.get(realHost), agentDirs.get(0).resolve("enrolled-agent.key"))).isTrue();
    // AND the links that carried the renewals are still up
    assertThat(linkedSince()).isEqualTo(since);

    // WHEN the agents restart from what they stored
    await(agents.close());
    agents = Vertx.vertx();
    link(null);

    // THEN every host links again (with its renewed certificate: the enrolled one has expired)
    Poll.until("every host linked again", WAIT, () -> {
      Map<String, String> now = linkedSince();
      return now.size() == SIMULATED + 1 && now.entrySet().stream().noneMatch(e -> e.getValue().equals(
          since.get(e.getKey())));
    });
    // AND a user still reaches a session on the renewed hosts, and an admin's command still reaches its agent
    Poll.until("desk available again", WAIT, () -> client.get("/api/v1/resources", mia).json().getJsonArray("items")
        .stream().map(JsonObject.class::cast).anyMatch(r -> r.getBoolean("available")));
    JsonObject again = launch();
    try (SSLSocket stream = openStream(again.getString("ticket"))) {
      echo(stream, "renewed");
    }
    JsonObject answer = await(site.node().agentEndpoint().send(realHost, new JsonObject().put("command", "logoff")
        .put("sessionId", again.getJsonObject("session").getString("id"))));
    assertThat(answer.getBoolean("ok")).as(answer.encode()).isTrue();
  }

  @Test
  void theNodeRenewsItsOwnCertificateAndItsListenersPresentItWithoutARestart() throws Exception {
    // GIVEN the certificate the node presents on its HTTPS and gateway ports now, and the links open on them
    X509Certificate first = presented(site.httpsPort());
    assertThat(presented(site.node().gatewayPort())).isEqualTo(first);
    Map<String, String> since = linkedSince();

    // WHEN it reaches its renewal point
    Poll.until("the HTTPS port presents a renewed node certificate", WAIT,
        () -> !presentedQuietly(site.httpsPort()).equals(first));

    // THEN both ports present the one stored in tls/node.crt, from the same CA, and no link dropped
    X509Certificate renewed = presented(site.httpsPort());
    assertThat(presented(site.node().gatewayPort())).isEqualTo(renewed);
    assertThat(Pem.readCertificate(site.dataDir().resolve("tls/node.crt"))).isEqualTo(renewed);
    renewed.verify(site.node().certificates().caCertificate().getPublicKey());
    assertThat(renewed.getNotAfter()).isAfter(first.getNotAfter());
    assertThat(linkedSince()).containsAllEntriesOf(since);
    assertThat(client.metric("outpost_certificate_renewals_total{certificate=\"node\",result=\"renewed\"}"))
        .isPositive();
  }

  @Test
  void metricsShowTheDaysLeftOfEveryCertificateTheNodeHoldsOrTracks() {
    String scraped = client.get("/metrics", null).body();

    double node = client.metric("outpost_certificate_expiry_days{certificate=\"node\"}");
    assertThat(node).isPositive().isLessThan(1.0);
    assertThat(client.metric("outpost_certificate_expiry_days{certificate=\"site-ca\"}")).isGreaterThan(3000);
    assertThat(client.metric("outpost_certificate_expiry_days{certificate=\"cluster-bus\"}")).isGreaterThan(800);
    double agent = client.metric("outpost_certificate_expiry_days{certificate=\"agent-soonest\"}");
    assertThat(agent).isLessThan(1.0);
    // no rotation: the retired CA has no days, and there is one series per kind, not one per host
    assertThat(scraped).contains("outpost_certificate_expiry_days{certificate=\"site-ca-retired\"} NaN");
    assertThat(scraped.lines().filter(l -> l.startsWith("outpost_certificate_expiry_days{"))).hasSize(5);
  }

  // ---- helpers ----

  /** Starts the agents from their data dirs (enrolling them with {@code token} when it is not null). */
  private static void link(String token) {
    URI appliance = URI.create("https://localhost:" + site.httpsPort());
    AgentRunner real = new AgentRunner(new AgentRunner.Options(List.of(appliance), token, "127.0.0.1",
        agentDirs.get(0), "desk-real", null, 0, "test", OutboundProxy.direct()), line -> { });
    AgentRunner simulated = new AgentRunner(new AgentRunner.Options(List.of(appliance), token, "127.0.0.1",
        agentDirs.get(1), "desk", null, SIMULATED, "test", OutboundProxy.direct()), line -> { });
    List<AgentIdentity> realIdentity = real.prepare(agents);
    List<AgentIdentity> simulatedIdentities = simulated.prepare(agents);
    if (token != null) {
      // keep the key the real host enrolled with, to try it once its certificate has expired
      try {
        Files.writeString(agentDirs.get(0).resolve("enrolled-agent.key"), realIdentity.get(0).keyPem());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    real.link(agents, realIdentity);
    simulated.link(agents, simulatedIdentities);
  }

  /** Host id to the time its link started, for every linked agent. */
  private static Map<String, String> linkedSince() {
    return client.get("/admin/api/v1/agents", admin).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).collect(Collectors.toMap(a -> a.getString("hostId"), a -> a.getString("since")));
  }

  private static Path dirOf(String hostId) {
    if (hostOf(agentDirs.get(0)).equals(hostId)) {
      return agentDirs.get(0);
    }
    for (int i = 0; i < SIMULATED; i++) {
      Path dir = agentDirs.get(1).resolve("sim-" + i);
      if (hostOf(dir).equals(hostId)) {
        return dir;
      }
    }
    throw new AssertionError("no agent dir for host " + hostId);
  }

  /** The host id an agent dir holds, read without touching the files (the agent may be replacing some). */
  private static String hostOf(Path dir) {
    try {
      return new JsonObject(Files.readString(dir.resolve("agent.json"))).getString("hostId");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static X509Certificate certificateOnDisk(String hostId) {
    try {
      return Pem.readCertificate(dirOf(hostId).resolve("agent.crt"));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Whether a link with {@code certificate} (and the key stored in {@code keyFile}) is refused. */
  private static boolean linkWith(X509Certificate certificate, Path keyFile) throws Exception {
    WebSocketClientOptions options = new WebSocketClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(site.node().certificates().caPem())))
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(Pem.encode(certificate)))
            .setKeyValue(Buffer.buffer(Files.readString(keyFile))));
    try {
      await(vertx.createWebSocketClient(options).connect(new WebSocketConnectOptions().setHost("localhost")
          .setPort(site.httpsPort()).setSsl(true).setURI(AgentLinkProtocol.MOUNT + AgentLinkProtocol.LINK_PATH)));
      return false;
    } catch (ExecutionException e) {
      // the TLS handshake fails, or the upgrade is refused as unauthorized
      return !(e.getCause() instanceof UpgradeRejectedException rejected) || rejected.getStatus() == 401;
    }
  }

  private static JsonObject launch() {
    Response response = client.post("/api/v1/resources/desk/launch", mia, null);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.json();
  }

  /** A raw gateway stream with the ticket, once the gateway answered OK. */
  private static SSLSocket openStream(String ticket) throws IOException {
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

  private static void echo(SSLSocket stream, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    stream.getOutputStream().write(bytes);
    assertThat(new String(stream.getInputStream().readNBytes(bytes.length), StandardCharsets.US_ASCII))
        .isEqualTo(text);
  }

  /** The certificate a TLS listener of the node presents to a new connection. */
  private static X509Certificate presented(int port) throws IOException {
    try (SSLSocket socket = (SSLSocket) SiteClient.trusting(site.dataDir().resolve("tls/ca.crt")).getSocketFactory()
        .createSocket("localhost", port)) {
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    }
  }

  private static X509Certificate presentedQuietly(int port) {
    try {
      return presented(port);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * Users launching, streaming through the gateway and logging off, one after another, until closed: the traffic
   * under which certificates renew. Records what failed.
   */
  static final class Load implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger rounds = new AtomicInteger();
    private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicReference<Thread> thread = new AtomicReference<>();

    static Load start() {
      Load load = new Load();
      Thread worker = new Thread(load::run, "renewal-load");
      load.thread.set(worker);
      worker.start();
      return load;
    }

    private void run() {
      SiteClient user = new SiteClient(site.dataDir().resolve("tls/ca.crt"), site.httpsPort());
      // another user than the one whose stream stays open: a log-off ends the user's session and its streams
      String token = user.login("noah", PASSWORD);
      while (running.get()) {
        try {
          Response launched = user.post("/api/v1/resources/desk/launch", token, null);
          if (launched.status() != 200) {
            failures.add("launch " + launched.status() + " " + launched.body());
            continue;
          }
          try (SSLSocket stream = openStream(launched.json().getString("ticket"))) {
            echo(stream, "round " + rounds.get());
          }
          String session = launched.json().getJsonObject("session").getString("id");
          Response loggedOff = user.post("/api/v1/sessions/" + session + "/logoff", token, null);
          if (loggedOff.status() != 200) {
            failures.add("logoff " + loggedOff.status() + " " + loggedOff.body());
          }
          rounds.incrementAndGet();
        } catch (IOException | RuntimeException | AssertionError e) {
          failures.add(e.toString());
        }
      }
    }

    int rounds() {
      return rounds.get();
    }

    List<String> failures() {
      return List.copyOf(failures);
    }

    String describe() {
      return rounds.get() + " rounds";
    }

    @Override
    public void close() {
      running.set(false);
      try {
        thread.get().join(TimeUnit.MINUTES.toMillis(1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }
}
