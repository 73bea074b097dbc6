package dev.outpost.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.gateway.TicketStore.Ticket;
import dev.outpost.http.Tls;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.sqlclient.Tuple;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway of a real site: tickets from the store API, streams over the raw TLS port and the WebSocket entry to
 * a real TCP echo server standing in for the session host, and refusals that close only the offending connection.
 */
class GatewayTest {

  static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(4);
  /** Handshake slots one client address may hold ({@code gateway.max-handshakes-per-address}). */
  static final int PER_ADDRESS = 20;

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static Vertx vertx;
  static NetServer echo;
  static String alice;
  static String bob;
  static SSLContext tls;

  @BeforeAll
  static void site() throws Exception {
    site = TestSite.start(tmp.resolve("node"), Map.of("gateway.handshake-timeout", HANDSHAKE_TIMEOUT.toMillis() + "ms",
        "gateway.idle-timeout", IDLE_TIMEOUT.toSeconds() + "s",
        "gateway.max-handshakes-per-address", Integer.toString(PER_ADDRESS),
        // the test's host registers once and never reports: it must outlast the class (3 intervals), however long
        // a busy machine takes over the thousand idle connections
        "broker.heartbeat-interval", "10m"));
    client = site.client();
    tls = SiteClient.trusting(site.dataDir().resolve("tls/ca.crt"));
    vertx = Vertx.vertx();
    echo = await(vertx.createNetServer().connectHandler(socket -> socket.pipeTo(socket)).listen(0, "127.0.0.1"));
    int deadPort;
    try (var unused = new java.net.ServerSocket(0)) {
      deadPort = unused.getLocalPort();
    }
    String admin = site.adminToken();
    String poolId = created(client.post("/admin/api/v1/pools", admin, "{\"name\":\"local\",\"maxSessionsPerHost\":50}"))
        .getString("id");
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "echo").put("pool", "local")
        .put("kind", "app").put("port", echo.actualPort()).encode()));
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "dead").put("pool", "local")
        .put("kind", "app").put("port", deadPort).encode()));
    for (String user : List.of("alice", "bob")) {
      created(client.post("/admin/api/v1/users", admin, new JsonObject().put("username", user)
          .put("password", user + "-password-1").encode()));
      for (String resource : List.of("echo", "dead")) {
        created(client.post("/admin/api/v1/entitlements", admin, new JsonObject().put("resource", resource)
            .put("user", user).encode()));
      }
    }
    alice = client.login("alice", "alice-password-1");
    bob = client.login("bob", "bob-password-1");
    UUID hostId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, "loopback", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId)));
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "loopback", poolId, "127.0.0.1",
        "node", Map.of(echo.actualPort(), true, deadPort, true), 0.1, List.of())));
    awaitTrue("resources listed",
        () -> client.get("/api/v1/resources", alice).json().getJsonArray("items").size() == 2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      await(vertx.close());
    }
    if (site != null) {
      site.close();
    }
  }

  @Test
  void theRawTlsPortCarriesAStreamBothWaysAndTheSessionConnectsThenDisconnects() throws Exception {
    // GIVEN a launch of the echo resource
    JsonObject launch = launch(alice, "echo");
    String sessionId = launch.getJsonObject("session").getString("id");
    assertThat(launch.getJsonArray("gateways").getJsonObject(1).getString("address"))
        .isEqualTo("localhost:" + site.node().gatewayPort());

    // WHEN the client presents its ticket on the raw port and sends 1 MB
    try (RawStream stream = RawStream.open(launch.getString("ticket"))) {
      // THEN the gateway says OK with the session id, and the bytes come back unchanged
      assertThat(stream.answer).isEqualTo("OK " + sessionId);
      assertEchoes(stream, 1 << 20);
      awaitTrue("session connected", () -> "connected".equals(sessionState(alice, sessionId)));
    }

    // AND once the client closes, the session is reported disconnected
    awaitTrue("session disconnected", () -> "disconnected".equals(sessionState(alice, sessionId)));
  }

  @Test
  void disconnectingASessionDropsItsLiveStream() throws Exception {
    // GIVEN a stream that carries bytes
    JsonObject launch = launch(alice, "echo");
    String sessionId = launch.getJsonObject("session").getString("id");
    try (RawStream stream = RawStream.open(launch.getString("ticket"))) {
      assertEchoes(stream, 1024);

      // WHEN its user disconnects the session through the store API
      Response disconnected = client.post("/api/v1/sessions/" + sessionId + "/disconnect", alice, null);
      assertThat(disconnected.status()).as(disconnected.body()).isEqualTo(200);

      // THEN the gateway ends the stream: the client reads end-of-stream (or a reset) instead of waiting
      int next;
      try {
        next = stream.socket.getInputStream().read();
      } catch (java.net.SocketException e) {
        next = -1;
      }
      assertThat(next).isEqualTo(-1);
    }
  }

  @Test
  void aLaunchDescribesItselfAsALaunchFileThatCanBeDownloaded() {
    // WHEN a user launches an app that is not an SSH resource
    JsonObject launch = launch(alice, "echo");

    // THEN the descriptor carries the launch file content, and no ssh command
    JsonObject file = launch.getJsonObject("launchFile");
    assertThat(file.getInteger("v")).isEqualTo(1);
    assertThat(file.getString("appliance")).isEqualTo("https://localhost:" + site.httpsPort());
    assertThat(file.getString("resource")).isEqualTo("echo");
    assertThat(file.getString("ticket")).isEqualTo(launch.getString("ticket"));
    assertThat(file.getJsonArray("gateways")).isEqualTo(launch.getJsonArray("gateways"));
    assertThat(launch.containsKey("sshCommand")).isFalse();

    // AND the download form answers with a .outpost file
    Response download = client.post(launch.getString("download"), alice, null);
    assertThat(download.status()).isEqualTo(200);
    assertThat(download.contentType()).isEqualTo("application/vnd.outpost.launch+json");
    assertThat(download.headers().firstValue("Content-Disposition")).hasValue("attachment; filename=\"echo.outpost\"");
    assertThat(download.json().getString("ticket")).isNotEqualTo(launch.getString("ticket"));
  }

  @Test
  void theWebSocketEntryCarriesAStreamBothWaysWithTheOwnersBearerToken() throws Exception {
    // GIVEN a launch of the echo resource
    JsonObject launch = launch(alice, "echo");
    String sessionId = launch.getJsonObject("session").getString("id");

    // WHEN the client opens the WebSocket with its bearer token and sends the ticket, then binary frames
    WsStream ws = WsStream.open(alice, launch.getString("ticket"));
    assertThat(ws.hello.get(10, TimeUnit.SECONDS)).isEqualTo(new JsonObject().put("v", 1).put("status", 200)
        .put("sessionId", sessionId));
    byte[] payload = new byte[300_000];
    new Random(7).nextBytes(payload);
    for (int off = 0; off < payload.length; off += 50_000) {
      await(ws.socket.writeBinaryMessage(Buffer.buffer(java.util.Arrays.copyOfRange(payload, off, off + 50_000))));
    }

    // THEN the same bytes come back, the session is connected, and it is disconnected after the close
    awaitTrue("echo over WebSocket", () -> ws.received().length() >= payload.length);
    assertThat(ws.received().getBytes()).isEqualTo(payload);
    awaitTrue("session connected", () -> "connected".equals(sessionState(alice, sessionId)));
    await(ws.socket.close());
    awaitTrue("session disconnected", () -> "disconnected".equals(sessionState(alice, sessionId)));
  }

  @Test
  void badTicketsAndGarbageAreRefusedWhileAnEstablishedStreamKeepsWorking() throws Exception {
    // GIVEN an established stream
    JsonObject launch = launch(alice, "echo");
    try (RawStream established = RawStream.open(launch.getString("ticket"))) {
      assertThat(established.answer).startsWith("OK ");

      // WHEN the same ticket is presented again THEN it is refused as unknown
      assertRawRefused(launch.getString("ticket"), "ERR 401 unknown ticket");

      // WHEN a ticket is presented after its expiry THEN it is refused as expired
      String expired = SecureTokens.random(32);
      Instant anHourAgo = Instant.now().minus(Duration.ofHours(1));
      await(site.node().tickets().withClock(Clock.fixed(anHourAgo, java.time.ZoneOffset.UTC)).put(
          SecureTokens.hash(expired), new Ticket(launch.getJsonObject("session").getString("id"), "x", "h",
              "127.0.0.1", echo.actualPort(), anHourAgo.plusSeconds(60))));
      assertRawRefused(expired, "ERR 401 the ticket expired");

      // WHEN a made-up ticket, a line of garbage, or a long line without newline is sent THEN each is refused
      assertRawRefused(SecureTokens.random(32), "ERR 401 unknown ticket");
      assertThat(RawStream.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
          .startsWith("ERR 400 expected 'OUTPOST/1 <ticket>'");
      byte[] noise = new byte[4096];
      new Random(3).nextBytes(noise);
      for (int i = 0; i < noise.length; i++) {
        noise[i] = noise[i] == '\n' ? 0 : noise[i];
      }
      assertThat(RawStream.exchange(noise)).startsWith("ERR 400");

      // WHEN plain-text garbage hits the TLS port THEN the connection is closed
      try (Socket plain = new Socket("127.0.0.1", site.node().gatewayPort())) {
        plain.setSoTimeout(10_000);
        plain.getOutputStream().write("OUTPOST/1 hello\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(readToEnd(plain.getInputStream())).doesNotContain("OK");
      }

      // WHEN the owner's ticket is shown on the WebSocket with another user's bearer token THEN it is refused
      JsonObject alices = launch(alice, "echo");
      WsStream stolen = WsStream.open(bob, alices.getString("ticket"));
      awaitTrue("WebSocket closed", () -> stolen.socket.isClosed());
      assertThat(stolen.socket.closeStatusCode()).isEqualTo(GatewayStatus.WRONG_USER.closeCode());
      assertThat(stolen.socket.closeReason()).isEqualTo("this ticket was issued to another user");

      // AND a host that does not listen is reported as such
      assertRawRefused(launch(alice, "dead").getString("ticket"), "ERR 502 the session host does not accept");

      // THEN the established stream still carries bytes
      assertEchoes(established, 64 * 1024);
    }
  }

  @Test
  void aThousandIdleConnectionsFromOneAddressHoldNoMoreThanItsShareAndAreAllClosedWhileOthersAreServed()
      throws Exception {
    // GIVEN 600 TLS connections and 200 WebSockets from 127.0.0.2 that never send a ticket, and 200 TCP connections
    // from it that never start TLS
    String idleAddress = "127.0.0.2";
    NetClient tlsClient = vertx.createNetClient(new NetClientOptions().setSsl(true)
        .setTrustOptions(Tls.siteTrust(site.node().certificates())).setHostnameVerificationAlgorithm("HTTPS")
        .setLocalAddress(idleAddress).setConnectTimeout(30_000));
    NetClient plainClient = vertx.createNetClient(new NetClientOptions().setLocalAddress(idleAddress)
        .setConnectTimeout(30_000));
    WebSocketClient wsClient = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(Tls.siteTrust(site.node().certificates())).setVerifyHost(true).setLocalAddress(idleAddress)
        .setConnectTimeout(30_000));
    int port = site.node().gatewayPort();
    CountDownLatch closed = new CountDownLatch(1000);
    List<Double> held = new ArrayList<>();
    // opened in waves of 100, as clients arrive; after each wave, the slots the node holds are read
    for (int wave = 0; wave < 10; wave++) {
      List<Future<?>> opened = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        int n = wave * 100 + i;
        Future<?> connection = n % 5 == 3 ? plainClient.connect(port, "127.0.0.1")
            .onSuccess(s -> s.closeHandler(v -> closed.countDown()))
            : n % 5 == 4 ? wsClient.connect(new WebSocketConnectOptions().setHost("127.0.0.1")
                .setPort(site.httpsPort()).setURI("/gateway")).onSuccess(ws -> ws.closeHandler(v -> closed.countDown()))
            : tlsClient.connect(port, "127.0.0.1").onSuccess(s -> s.closeHandler(v -> closed.countDown()));
        // refused at once (past the address's share), or closed before its TLS handshake finished: closed too
        opened.add(connection.onFailure(e -> closed.countDown()));
      }
      Future.join(opened).toCompletionStage().toCompletableFuture().handle((v, e) -> v).get(60, TimeUnit.SECONDS);
      held.add(metricValue(client.get("/metrics", null).body(), "outpost_gateway_handshakes"));
    }

    // WHEN a real client from another address launches and connects while they wait
    JsonObject launch = launch(alice, "echo");
    try (RawStream stream = RawStream.open(launch.getString("ticket"))) {
      // THEN it is served
      assertThat(stream.answer).startsWith("OK ");
      assertEchoes(stream, 100_000);

      // AND every idle connection is closed by the node: refused past the address's share, or at the handshake
      // timeout
      assertThat(closed.await(60, TimeUnit.SECONDS)).as("closed: " + (1000 - closed.getCount())).isTrue();
      assertEchoes(stream, 100_000);
    }

    // AND the address never held more than its share of the node's slots, and they are all free again
    assertThat(held).allSatisfy(slots -> assertThat(slots).isLessThanOrEqualTo(PER_ADDRESS));
    awaitTrue("slots free", () -> metricValue(client.get("/metrics", null).body(), "outpost_gateway_handshakes") == 0);
    String metrics = client.get("/metrics", null).body();
    assertThat(metricValue(metrics, "outpost_gateway_refusals_total{reason=\"busy\"}")
        + metricValue(metrics, "outpost_gateway_refusals_total{reason=\"handshake-timeout\"}")).isPositive();
    assertThat(metricValue(metrics, "outpost_gateway_bytes_total{direction=\"up\"}")).isPositive();
    assertThat(metricValue(metrics, "outpost_gateway_bytes_total{direction=\"down\"}")).isPositive();
    await(tlsClient.close());
    await(plainClient.close());
    await(wsClient.close());
  }

  @Test
  void aStreamWithoutTrafficIsClosedAfterTheIdleTimeout() throws Exception {
    // GIVEN an established stream
    JsonObject launch = launch(bob, "echo");
    String sessionId = launch.getJsonObject("session").getString("id");
    try (RawStream stream = RawStream.open(launch.getString("ticket"))) {
      assertEchoes(stream, 10);
      Instant lastByte = Instant.now();

      // WHEN nothing is sent THEN the gateway closes it after the idle timeout, and the session disconnects
      stream.socket.setSoTimeout(30_000);
      assertThat(stream.socket.getInputStream().read()).isEqualTo(-1);
      assertThat(Duration.between(lastByte, Instant.now())).isGreaterThanOrEqualTo(IDLE_TIMEOUT.minusMillis(100));
      awaitTrue("session disconnected", () -> "disconnected".equals(sessionState(bob, sessionId)));
    }
  }

  // ---- helpers ----

  static JsonObject launch(String token, String resource) {
    Response launch = client.post("/api/v1/resources/" + resource + "/launch", token, null);
    assertThat(launch.status()).as(launch.body()).isEqualTo(200);
    return launch.json();
  }

  static String sessionState(String token, String sessionId) {
    JsonArray items = client.get("/api/v1/sessions", token).json().getJsonArray("items");
    return items.stream().map(JsonObject.class::cast).filter(s -> s.getString("id").equals(sessionId))
        .map(s -> s.getString("state")).findFirst().orElse("gone");
  }

  static void assertRawRefused(String ticket, String answerPrefix) throws IOException {
    assertThat(RawStream.exchange(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII)))
        .startsWith(answerPrefix);
  }

  static void assertEchoes(RawStream stream, int size) throws IOException {
    byte[] payload = new byte[size];
    new Random(size).nextBytes(payload);
    OutputStream out = stream.socket.getOutputStream();
    InputStream in = stream.socket.getInputStream();
    byte[] back = new byte[size];
    Thread writer = new Thread(() -> {
      try {
        out.write(payload);
        out.flush();
      } catch (IOException e) {
        // the reader fails the test
      }
    });
    writer.start();
    int got = 0;
    while (got < size) {
      int n = in.read(back, got, size - got);
      assertThat(n).as("stream ended after " + got + " bytes").isPositive();
      got += n;
    }
    assertThat(back).isEqualTo(payload);
  }

  static double metricValue(String metrics, String series) {
    return metrics.lines().filter(l -> l.startsWith(series + " ")).map(l -> Double.parseDouble(l.substring(
        series.length() + 1).trim())).findFirst().orElseThrow(() -> new AssertionError("no " + series));
  }

  static String readToEnd(InputStream in) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    try {
      for (int n; (n = in.read(buf)) > 0; ) {
        all.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the gateway did not close the connection", e);
    } catch (IOException e) {
      // reset by the peer counts as closed
    }
    return all.toString(StandardCharsets.UTF_8);
  }

  /** A raw gateway connection: TLS to the gateway port, the ticket line, and the answer line. */
  static final class RawStream implements AutoCloseable {
    final SSLSocket socket;
    final String answer;

    private RawStream(SSLSocket socket, String answer) {
      this.socket = socket;
      this.answer = answer;
    }

    static RawStream open(String ticket) throws IOException {
      SSLSocket socket = connect();
      socket.getOutputStream().write(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII));
      return new RawStream(socket, readLine(socket.getInputStream()));
    }

    /** Sends bytes, returns everything the gateway answers until it closes. */
    static String exchange(byte[] request) throws IOException {
      try (SSLSocket socket = connect()) {
        socket.getOutputStream().write(request);
        return readToEnd(socket.getInputStream());
      }
    }

    private static SSLSocket connect() throws IOException {
      SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("localhost", site.node().gatewayPort());
      socket.setSoTimeout(15_000);
      var params = socket.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(params);
      return socket;
    }

    private static String readLine(InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      for (int c; (c = in.read()) != -1 && c != '\n'; ) {
        line.append((char) c);
      }
      return line.toString();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** A WebSocket gateway connection that collects what it receives. */
  static final class WsStream {
    final WebSocket socket;
    final CompletableFuture<JsonObject> hello = new CompletableFuture<>();
    private final Buffer received = Buffer.buffer();

    private WsStream(WebSocket socket) {
      this.socket = socket;
    }

    static WsStream open(String bearer, String ticket) throws Exception {
      WebSocket ws = await(wsClient().connect(new WebSocketConnectOptions().setHost("localhost")
          .setPort(site.httpsPort()).setURI("/gateway").addHeader("Authorization", "Bearer " + bearer)));
      WsStream stream = new WsStream(ws);
      ws.textMessageHandler(text -> stream.hello.complete(new JsonObject(text)));
      ws.binaryMessageHandler(data -> {
        synchronized (stream.received) {
          stream.received.appendBuffer(data);
        }
      });
      await(ws.writeTextMessage(new JsonObject().put("v", 1).put("ticket", ticket).encode()));
      return stream;
    }

    Buffer received() {
      synchronized (received) {
        return received.copy();
      }
    }
  }

  static WebSocketClient wsClient() {
    return vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(Tls.siteTrust(site.node().certificates())).setVerifyHost(true).setConnectTimeout(30_000)
        .setMaxFrameSize(64 * 1024));
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  static void awaitTrue(String what, Supplier<Boolean> condition) throws InterruptedException {
    dev.outpost.testing.Poll.until(what, java.time.Duration.ofSeconds(20), condition::get);
  }
}
