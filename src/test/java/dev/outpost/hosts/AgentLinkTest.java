package dev.outpost.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.outpost.testing.Await.await;

import dev.outpost.hosts.impl.DatabaseEnrollmentLedger;
import dev.outpost.appliance.HttpFrontDoor;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.crypto.CertificateRequests;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.HttpListener;
import dev.outpost.http.Tls;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent link over mutual TLS, against an {@link AgentEndpoint} built on a real site's database and CA and
 * served by a real front door, with a recording {@link HostEvents} in place of the broker.
 */
class AgentLinkTest {

  private static final Duration WAIT = Duration.ofSeconds(15);
  private static final String APPLIANCE = "test-appliance";

  @TempDir
  static Path tmp;
  static TestSite site;
  static RecordingHostEvents events = new RecordingHostEvents();
  static AgentEndpoint endpoint;
  static int port;
  static Vertx clients;
  static String adminToken;
  static String token;

  @BeforeAll
  static void start() throws Exception {
    site = TestSite.start(tmp.resolve("node"));
    adminToken = site.adminToken();
    Response pool = site.client().post("/admin/api/v1/pools", adminToken,
        new JsonObject().put("name", "desktops").put("maxSessionsPerHost", 2).encode());
    assertThat(pool.status()).as(pool.body()).isEqualTo(201);
    token = site.client().post("/admin/api/v1/enroll-tokens", adminToken,
        new JsonObject().put("pool", "desktops").put("uses", 50).encode()).json().getString("token");
    SiteCertificates certificates = site.node().certificates();
    endpoint = new AgentEndpoint(site.node().vertx(), new DatabaseEnrollmentLedger(site.node().database()),
        certificates, events, APPLIANCE,
        new AgentEndpoint.Settings(Duration.ofDays(30), 3, Duration.ofSeconds(5), Duration.ofSeconds(5)),
        Clock.systemUTC());
    HttpFrontDoor door = new HttpFrontDoor(HttpListener.of(Tls.frontDoor(certificates, "0.0.0.0", 0)), 1 << 20,
        router -> { },
        Map.of(AgentLinkProtocol.MOUNT, endpoint::mount));
    await(site.node().vertx().deployVerticle(door));
    port = door.actualPort();
    clients = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (clients != null) {
      await(clients.close());
    }
    if (site != null) {
      site.close();
    }
  }

  @Test
  void anEnrolledAgentRegistersHeartbeatsTakesCommandsAndIsLostWhenItLeaves() throws Exception {
    // GIVEN an enrolled host
    HostIdentity host = enroll("desk-01");

    // WHEN its agent links with its certificate and registers
    TestAgent agent = connect(host, Map.of(AgentLinkProtocol.HOST_ID_HEADER, host.id()));
    agent.send(register("desk-01").put("services", new JsonObject().put("22", true))
        .put("sessions", new JsonArray().add("s-1")).put("load", 0.5).put("some-future-field", 1));

    // THEN the broker hears of it with the enrolled identity, and the agent learns what to watch
    JsonObject registered = agent.next(AgentLinkProtocol.REGISTERED);
    assertThat(registered.getInteger("v")).isEqualTo(1);
    assertThat(registered.getString("hostId")).isEqualTo(host.id());
    assertThat(registered.getJsonArray("ports")).containsExactly(22, 3389);
    assertThat(registered.getInteger("heartbeatSeconds")).isEqualTo(1);
    HostRegistration registration = events.registrationOf(host.id());
    assertThat(registration.name()).isEqualTo("desk-01");
    assertThat(registration.poolId()).isEqualTo(poolId());
    assertThat(registration.address()).isEqualTo("10.1.0.1");
    assertThat(registration.appliance()).isEqualTo(APPLIANCE);
    assertThat(registration.services()).isEqualTo(Map.of(22, true));
    assertThat(registration.sessions()).containsExactly("s-1");
    assertThat(registration.load()).isEqualTo(0.5);

    // WHEN it heartbeats
    agent.send(AgentLinkProtocol.message(AgentLinkProtocol.HEARTBEAT).put("load", 1.25)
        .put("services", new JsonObject().put("22", true).put("3389", false)).put("sessions", new JsonArray()));

    // THEN the broker gets the report and operators see the link
    awaitTrue(() -> events.heartbeats.stream().anyMatch(b -> b.hostId().equals(host.id()) && b.load() == 1.25));
    awaitTrue(() -> endpoint.linked().stream()
        .anyMatch(a -> a.hostId().equals(host.id()) && a.lastHeartbeat() != null));

    // WHEN the broker sends it a command from another thread
    CompletableFuture<JsonObject> result = endpoint.send(host.id(), new JsonObject().put("command", "logoff")
        .put("sessionId", "s-1")).toCompletionStage().toCompletableFuture();
    JsonObject command = agent.next(AgentLinkProtocol.COMMAND);
    assertThat(command.getString("command")).isEqualTo("logoff");
    assertThat(command.getString("sessionId")).isEqualTo("s-1");
    agent.send(AgentLinkProtocol.message(AgentLinkProtocol.COMMAND_RESULT).put("id", command.getString("id"))
        .put("ok", true).put("detail", "logged off"));

    // THEN the command completes with the agent's answer
    JsonObject answer = result.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(answer.getBoolean("ok")).isTrue();
    assertThat(answer.getString("detail")).isEqualTo("logged off");

    // WHEN the agent goes away THEN the broker hears that the host is lost, and the link is gone
    agent.close();
    awaitTrue(() -> events.lost.containsKey(host.id()));
    assertThat(endpoint.linked()).noneMatch(a -> a.hostId().equals(host.id()));
    assertThatThrownBy(() -> await(endpoint.send(host.id(), new JsonObject().put("command", "drain"))))
        .hasRootCauseInstanceOf(ClientErrorException.class).hasMessageContaining("not linked");
  }

  @Test
  void clientsWithoutAValidHostCertificateAreRefused() throws Exception {
    HostIdentity other = enroll("desk-02");
    HostIdentity revoked = enroll("desk-03");
    Sql.update(site, "UPDATE hosts SET revoked = true WHERE id::text = $1", revoked.id());
    int registrations = events.registrations.size();

    // no certificate at all: 401 before the upgrade
    assertThat(rejectedStatus(null, Map.of())).isEqualTo(401);
    // a certificate from another CA: the TLS handshake fails
    assertThatThrownBy(() -> connect(foreignIdentity(), Map.of())).isInstanceOf(ExecutionException.class);
    // a revoked host: 403
    assertThat(rejectedStatus(revoked, Map.of())).isEqualTo(403);
    // another host's certificate, claiming a different host id: 403
    assertThat(rejectedStatus(other, Map.of(AgentLinkProtocol.HOST_ID_HEADER, revoked.id()))).isEqualTo(403);
    // ... or claiming it in register: the link closes as forbidden
    TestAgent claiming = connect(other, Map.of());
    claiming.send(register("desk-03").put("hostId", revoked.id()));
    assertThat(claiming.awaitClose()).isEqualTo((short) 4403);

    assertThat(events.registrations).hasSize(registrations);
  }

  @Test
  void aMisbehavingLinkIsClosedAloneWhileOthersStayLinked() throws Exception {
    // GIVEN a well-behaved agent
    HostIdentity good = enroll("good-01");
    TestAgent steady = connect(good, Map.of());
    steady.send(register("good-01"));
    steady.next(AgentLinkProtocol.REGISTERED);
    long beats = clients.setPeriodic(300, id -> steady.send(AgentLinkProtocol.message(AgentLinkProtocol.HEARTBEAT)));

    // WHEN other links send garbage, a message before register, an unknown version, binary or oversize data
    assertThat(misbehave(a -> a.sendText("{not json"))).isEqualTo((short) 1007);
    assertThat(misbehave(a -> a.sendText("[1, 2]"))).isEqualTo((short) 1007);
    assertThat(misbehave(a -> a.send(AgentLinkProtocol.message("hello")))).isEqualTo((short) 1002);
    assertThat(misbehave(a -> a.send(AgentLinkProtocol.message(AgentLinkProtocol.HEARTBEAT)))).isEqualTo((short) 1002);
    assertThat(misbehave(a -> a.send(register("x").put("v", 2)))).isEqualTo((short) 1002);
    assertThat(misbehave(a -> a.send(register("x").put("services", "all")))).isEqualTo((short) 1002);
    assertThat(misbehave(a -> a.ws.writeBinaryMessage(Buffer.buffer("hi")))).isEqualTo((short) 1003);
    assertThat(misbehave(a -> a.sendText("{\"v\":1,\"type\":\"register\",\"pad\":\"" + "x".repeat(70_000) + "\"}")))
        .isEqualTo((short) 1009);
    assertThat(misbehave(a -> a.sendText("{\"pad\":\"" + "x".repeat(400_000) + "\"}"))).isNotNull();

    // THEN the well-behaved agent is still linked and heard
    steady.send(AgentLinkProtocol.message(AgentLinkProtocol.HEARTBEAT).put("load", 7.0));
    awaitTrue(() -> events.heartbeats.stream().anyMatch(b -> b.hostId().equals(good.id()) && b.load() == 7.0));
    assertThat(steady.closed).isNotDone();
    clients.cancelTimer(beats);
    steady.close();
  }

  @Test
  void aSilentLinkIsClosedAndTheHostLost() throws Exception {
    // GIVEN a registered agent that then says nothing (the broker asked for a heartbeat every second)
    HostIdentity host = enroll("quiet-01");
    TestAgent agent = connect(host, Map.of());
    agent.send(register("quiet-01"));
    agent.next(AgentLinkProtocol.REGISTERED);
    Instant registered = Instant.now();

    // THEN after three intervals the link is closed and the host reported lost
    assertThat(agent.awaitClose()).isEqualTo((short) 4408);
    assertThat(Duration.between(registered, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(2_500));
    awaitTrue(() -> events.lost.containsKey(host.id()));
    assertThat(events.lost.get(host.id())).contains("no message for 3 s");
  }

  @Test
  void aHeartbeatTheBrokerDoesNotKnowRegistersTheHostAgain() throws Exception {
    HostIdentity host = enroll("forgotten-01");
    TestAgent agent = connect(host, Map.of());
    agent.send(register("forgotten-01").put("load", 0.1));
    agent.next(AgentLinkProtocol.REGISTERED);

    // WHEN the broker answers the next heartbeat with 404
    events.forgetNextHeartbeat.set(1);
    agent.send(AgentLinkProtocol.message(AgentLinkProtocol.HEARTBEAT).put("load", 3.0)
        .put("sessions", new JsonArray().add("s-9")));

    // THEN the endpoint registers the host again with the heartbeat's report and tells the agent
    agent.next(AgentLinkProtocol.REGISTERED);
    awaitTrue(() -> events.registrations.stream().filter(r -> r.id().equals(host.id())).count() == 2);
    HostRegistration again = events.registrationOf(host.id());
    assertThat(again.load()).isEqualTo(3.0);
    assertThat(again.sessions()).containsExactly("s-9");
    agent.close();
  }

  @Test
  void aSecondLinkOfTheSameHostReplacesTheFirstWithoutLosingTheHost() throws Exception {
    HostIdentity host = enroll("twice-01");
    TestAgent first = connect(host, Map.of());
    first.send(register("twice-01"));
    first.next(AgentLinkProtocol.REGISTERED);

    TestAgent second = connect(host, Map.of());
    second.send(register("twice-01"));
    second.next(AgentLinkProtocol.REGISTERED);

    assertThat(first.awaitClose()).isEqualTo((short) 4409);
    assertThat(events.lost).doesNotContainKey(host.id());
    assertThat(endpoint.linked()).filteredOn(a -> a.hostId().equals(host.id())).hasSize(1);
    second.close();
  }

  @Test
  void anAgentRenewsItsCertificateOverItsLinkAndTheHostKeepsAtMostTwo() throws Exception {
    // GIVEN a linked host
    HostIdentity host = enroll("renew-01");
    TestAgent agent = connect(host, Map.of());
    agent.send(register("renew-01"));
    JsonObject registered = agent.next(AgentLinkProtocol.REGISTERED);
    // the appliance names the CAs to trust and when to renew
    assertThat(registered.getString(AgentLinkProtocol.CA)).isEqualTo(site.node().certificates().caPem());
    assertThat(registered.getBoolean("renew")).isFalse();
    assertThat(registered.getInteger("renewAt")).isEqualTo(67);

    // WHEN it asks for a certificate for a new key, twice over the same link
    KeyPair second = SiteCertificates.newKeyPair();
    JsonObject renewed = renew(agent, second, null);
    KeyPair third = SiteCertificates.newKeyPair();
    JsonObject again = renew(agent, third, Fingerprints.sha256(Pem.parseCertificate(renewed.getString(
        "certificate"))));

    // THEN each answer is a certificate of the site CA for that key and the same host
    for (JsonObject answer : List.of(renewed, again)) {
      assertThat(answer.getString("type")).isEqualTo(AgentLinkProtocol.RENEWED);
      assertThat(answer.getString(AgentLinkProtocol.CA)).isEqualTo(site.node().certificates().caPem());
    }
    java.security.cert.X509Certificate last = Pem.parseCertificate(again.getString("certificate"));
    last.verify(site.node().certificates().caCertificate().getPublicKey());
    assertThat(last.getPublicKey()).isEqualTo(third.getPublic());
    assertThat(last.getSubjectX500Principal().getName()).isEqualTo("CN=" + host.id() + ",OU=outpost-agent");
    // AND the ledger holds the last two: the one the agent held when it asked, and the new one; each is audited
    JsonObject row = Sql.rows(site, "SELECT certificate_sha256 AS current, previous_certificate_sha256 AS previous "
        + "FROM hosts WHERE id::text = $1", host.id()).get(0);
    assertThat(row.getString("current")).isEqualTo(Fingerprints.sha256(last));
    assertThat(row.getString("previous")).isEqualTo(Fingerprints.sha256(Pem.parseCertificate(renewed.getString(
        "certificate"))));
    assertThat(Sql.count(site, "SELECT count(*) FROM audit_log WHERE action = 'host.certificate-renew' "
        + "AND target_id = $1 AND actor = $2", host.id(), "host:" + host.id())).isEqualTo(2);
    // AND the link stays, and a new link works with the new certificate while the enrolled one is refused
    assertThat(agent.closed).isNotDone();
    HostIdentity renewedHost = new HostIdentity(host.id(), again.getString("certificate"),
        Pem.encode(third.getPrivate()));
    TestAgent next = connect(renewedHost, Map.of());
    next.send(register("renew-01"));
    next.next(AgentLinkProtocol.REGISTERED);
    assertThat(rejectedStatus(host, Map.of())).isEqualTo(401);
    next.close();
  }

  @Test
  void renewalsThatCannotBeTrustedAreRefusedAndTheLinkStays() throws Exception {
    // GIVEN a linked host
    HostIdentity host = enroll("renew-02");
    TestAgent agent = connect(host, Map.of());
    agent.send(register("renew-02"));
    agent.next(AgentLinkProtocol.REGISTERED);
    KeyPair fresh = SiteCertificates.newKeyPair();

    // WHEN it sends no request, a malformed one, a request for the key it holds, or speaks for a certificate the link
    // does not know THEN each is refused with a reason, and the ledger is unchanged
    assertThat(refusal(agent, new JsonObject())).contains("certificate request");
    assertThat(refusal(agent, new JsonObject().put("csr", "not pem"))).contains("PEM");
    java.security.PrivateKey held = Pem.parsePrivateKey(host.keyPem());
    KeyPair same = new KeyPair(Pem.parseCertificate(host.certificatePem()).getPublicKey(), held);
    assertThat(refusal(agent, new JsonObject().put("csr", CertificateRequests.pem(same, "CN=x"))))
        .contains("new key pair");
    assertThat(refusal(agent, new JsonObject().put("csr", CertificateRequests.pem(fresh, "CN=x"))
        .put("holds", "0".repeat(64)))).contains("no certificate this link knows");
    // AND a host deleted meanwhile is refused too
    Sql.update(site, "UPDATE hosts SET revoked = true WHERE id::text = $1", host.id());
    assertThat(refusal(agent, new JsonObject().put("csr", CertificateRequests.pem(fresh, "CN=x"))))
        .contains("enroll it again");
    assertThat(Sql.count(site, "SELECT count(*) FROM hosts WHERE id::text = $1 AND previous_certificate_sha256 "
        + "IS NULL", host.id())).isEqualTo(1);
    assertThat(agent.closed).isNotDone();
    agent.close();
  }

  private static JsonObject renew(TestAgent agent, KeyPair key, String holds) throws Exception {
    JsonObject request = AgentLinkProtocol.message(AgentLinkProtocol.RENEW).put("id", "r-" + COUNTER.incrementAndGet())
        .put("csr", CertificateRequests.pem(key, "CN=agent"));
    if (holds != null) {
      request.put("holds", holds);
    }
    agent.send(request);
    JsonObject answer = agent.nextOf(AgentLinkProtocol.RENEWED, AgentLinkProtocol.RENEW_REFUSED);
    assertThat(answer.getString("id")).isEqualTo(request.getString("id"));
    assertThat(answer.getString("type")).as(answer.encode()).isEqualTo(AgentLinkProtocol.RENEWED);
    return answer;
  }

  private static String refusal(TestAgent agent, JsonObject fields) throws Exception {
    JsonObject request = AgentLinkProtocol.message(AgentLinkProtocol.RENEW).put("id", "r-" + COUNTER.incrementAndGet());
    fields.forEach(field -> request.put(field.getKey(), field.getValue()));
    agent.send(request);
    JsonObject answer = agent.nextOf(AgentLinkProtocol.RENEWED, AgentLinkProtocol.RENEW_REFUSED);
    assertThat(answer.getString("type")).as(answer.encode()).isEqualTo(AgentLinkProtocol.RENEW_REFUSED);
    assertThat(answer.getString("id")).isEqualTo(request.getString("id"));
    return answer.getString("detail");
  }

  @Test
  void repeatedFailedEnrollmentsFromOneAddressAreSlowedDown() {
    // GIVEN an endpoint that allows three failed enrollments per minute per address
    SiteClient client = new SiteClient(site.dataDir().resolve("tls/ca.crt"), port);
    String forged = token.substring(0, token.lastIndexOf('.') + 1) + "A".repeat(43);
    String body = new JsonObject().put("token", forged).put("name", "x").put("address", "10.0.0.1")
        .put("csr", CertificateRequests.pem(SiteCertificates.newKeyPair(), "CN=x")).encode();

    // WHEN an address keeps failing THEN the fourth attempt is answered 429 with Retry-After
    for (int i = 0; i < 3; i++) {
      assertThat(client.post("/agent/v1/enroll", null, body).status()).isEqualTo(401);
    }
    Response limited = client.post("/agent/v1/enroll", null, body);
    assertThat(limited.status()).as(limited.body()).isEqualTo(429);
    assertThat(limited.contentType()).startsWith("application/problem+json");
    assertThat(limited.headers().firstValue("Retry-After")).isPresent();
  }

  // --- helpers ---

  private static short misbehave(java.util.function.Consumer<TestAgent> action) throws Exception {
    TestAgent agent = connect(enroll("bad-" + COUNTER.incrementAndGet()), Map.of());
    action.accept(agent);
    return agent.awaitClose();
  }

  private static final AtomicInteger COUNTER = new AtomicInteger();

  private static JsonObject register(String name) {
    return AgentLinkProtocol.message(AgentLinkProtocol.REGISTER).put("name", name).put("address", "10.1.0.1")
        .put("version", "test").put("load", 0.0).put("services", new JsonObject()).put("sessions", new JsonArray());
  }

  private static String poolId() {
    return Sql.rows(site, "SELECT id::text AS id FROM pools WHERE name = 'desktops'").get(0).getString("id");
  }

  record HostIdentity(String id, String certificatePem, String keyPem) {
  }

  private static HostIdentity enroll(String name) {
    KeyPair key = SiteCertificates.newKeyPair();
    Response enrolled = site.client().post("/agent/v1/enroll", null, new JsonObject().put("token", token)
        .put("name", name).put("address", "10.1.0.1").put("csr", CertificateRequests.pem(key, "CN=" + name))
        .encode());
    assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
    return new HostIdentity(enrolled.json().getString("hostId"), enrolled.json().getString("certificate"),
        Pem.encode(key.getPrivate()));
  }

  private static HostIdentity foreignIdentity() throws Exception {
    SiteCertificates other = SiteCertificates.loadOrCreate(tmp.resolve("other-ca-" + COUNTER.incrementAndGet()),
        "elsewhere", List.of());
    KeyPair key = SiteCertificates.newKeyPair();
    return new HostIdentity("x", Pem.encode(other.issue(key, "CN=x,OU=outpost-agent", List.of(), Duration.ofDays(1),
        false)), Pem.encode(key.getPrivate()));
  }

  private static int rejectedStatus(HostIdentity identity, Map<String, String> headers) {
    try {
      connect(identity, headers).close();
      throw new AssertionError("the link was accepted");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(UpgradeRejectedException.class);
      return ((UpgradeRejectedException) e.getCause()).getStatus();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static TestAgent connect(HostIdentity identity, Map<String, String> headers) throws Exception {
    WebSocketClientOptions options = new WebSocketClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(site.node().certificates().caPem())))
        .setMaxFrameSize(256 * 1024).setMaxMessageSize(256 * 1024);
    if (identity != null) {
      options.setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(identity.certificatePem()))
          .setKeyValue(Buffer.buffer(identity.keyPem())));
    }
    WebSocketClient client = clients.createWebSocketClient(options);
    WebSocketConnectOptions connect = new WebSocketConnectOptions().setHost("localhost").setPort(port)
        .setSsl(true).setURI(AgentLinkProtocol.MOUNT + AgentLinkProtocol.LINK_PATH);
    headers.forEach(connect::addHeader);
    return new TestAgent(client.connect(connect).toCompletionStage().toCompletableFuture()
        .get(WAIT.toSeconds(), TimeUnit.SECONDS));
  }

  /** The far end of a link, as a test drives it. */
  static final class TestAgent implements AutoCloseable {
    final WebSocket ws;
    final BlockingQueue<JsonObject> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Short> closed = new CompletableFuture<>();

    TestAgent(WebSocket ws) {
      this.ws = ws;
      ws.textMessageHandler(text -> received.add(new JsonObject(text)));
      ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
    }

    void send(JsonObject message) {
      sendText(message.encode());
    }

    void sendText(String text) {
      ws.writeTextMessage(text);
    }

    JsonObject next(String type) throws InterruptedException {
      return nextOf(type);
    }

    /** The next message of one of these types (others are skipped). */
    JsonObject nextOf(String... types) throws InterruptedException {
      Instant deadline = Instant.now().plus(WAIT);
      while (Instant.now().isBefore(deadline)) {
        JsonObject message = received.poll(100, TimeUnit.MILLISECONDS);
        if (message != null && List.of(types).contains(message.getString("type"))) {
          return message;
        }
      }
      throw new AssertionError("no " + List.of(types) + " message within " + WAIT + "; link closed: "
          + closed.getNow(null));
    }

    short awaitClose() throws Exception {
      return closed.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() {
      ws.close();
    }
  }

  /** A broker stand-in that records what it hears and answers with ports 22 and 3389 every second. */
  static final class RecordingHostEvents implements HostEvents {
    final Queue<HostRegistration> registrations = new ConcurrentLinkedQueue<>();
    final Queue<Heartbeat> heartbeats = new ConcurrentLinkedQueue<>();
    final Map<String, String> lost = new java.util.concurrent.ConcurrentHashMap<>();
    final AtomicInteger forgetNextHeartbeat = new AtomicInteger();

    @Override
    public Future<Registered> registered(HostRegistration registration) {
      registrations.add(registration);
      return Future.succeededFuture(new Registered(List.of(22, 3389), Duration.ofSeconds(1)));
    }

    @Override
    public Future<Void> heartbeat(Heartbeat heartbeat) {
      if (forgetNextHeartbeat.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        return Future.failedFuture(ClientErrorException.notFound("unknown host " + heartbeat.hostId()));
      }
      heartbeats.add(heartbeat);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> lost(String hostId, String reason) {
      lost.put(hostId, reason);
      return Future.succeededFuture();
    }

    HostRegistration registrationOf(String hostId) {
      return registrations.stream().filter(r -> r.id().equals(hostId)).reduce((a, b) -> b).orElseThrow();
    }
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(WAIT);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("condition not met within " + WAIT);
      }
      Thread.sleep(20); // polling with a deadline, not a synchronisation sleep
    }
  }

}
