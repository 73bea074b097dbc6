package dev.outpost.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.http.Tls;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.UpgradeRejectedException;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.sqlclient.Tuple;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handshake slots of a real node, capped per client address ({@code gateway.max-handshakes-per-address}) as well
 * as per node ({@code gateway.max-handshakes}): idle TLS connections from one address (127.0.0.2: all of
 * 127.0.0.0/8 is loopback on Linux) hold only their address's share, and a client from another address still
 * completes its handshake on the raw TLS port and on the WebSocket and gets its stream. The handshake timeout is
 * long, so that the idle connections hold their slots for the whole test, whatever the machine's speed.
 */
class GatewayHandshakeSlotsTest {

  private static final int PER_ADDRESS = 10;
  private static final int PER_NODE = 30;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static Vertx vertx;
  static NetServer echo;
  static String alice;
  static SSLContext tls;
  static final Map<String, NetClient> clients = new HashMap<>();

  @BeforeAll
  static void site() throws Exception {
    site = TestSite.start(tmp.resolve("node"), Map.of("gateway.handshake-timeout", "5m",
        "gateway.max-handshakes", Integer.toString(PER_NODE),
        "gateway.max-handshakes-per-address", Integer.toString(PER_ADDRESS)));
    client = site.client();
    tls = SiteClient.trusting(site.dataDir().resolve("tls/ca.crt"));
    vertx = Vertx.vertx();
    echo = await(vertx.createNetServer().connectHandler(socket -> socket.pipeTo(socket)).listen(0, "127.0.0.1"));
    String admin = site.adminToken();
    String poolId = created(client.post("/admin/api/v1/pools", admin, "{\"name\":\"local\",\"maxSessionsPerHost\":50}"))
        .getString("id");
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "echo").put("pool", "local")
        .put("kind", "app").put("port", echo.actualPort()).encode()));
    created(client.post("/admin/api/v1/users", admin, new JsonObject().put("username", "alice")
        .put("password", "alice-password-1").encode()));
    created(client.post("/admin/api/v1/entitlements", admin, new JsonObject().put("resource", "echo")
        .put("user", "alice").encode()));
    alice = client.login("alice", "alice-password-1");
    UUID hostId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, "loopback", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId)));
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "loopback", poolId, "127.0.0.1",
        "node", Map.of(echo.actualPort(), true), 0.1, List.of())));
    Poll.until("resource listed", WAIT, () -> client.get("/api/v1/resources", alice).json().getJsonArray("items")
        .size() == 1);
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
  void idleConnectionsFromOneAddressHoldOnlyItsShareAndOthersStillGetTheirStreams() throws Exception {
    double busyBefore = client.metric(BUSY);

    // GIVEN 25 TLS connections from 127.0.0.2 that never send a ticket
    List<Idle> idle = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      idle.add(Idle.open("127.0.0.2"));
    }

    // THEN the address holds its 10 slots and the 15 connections past them are refused at once, naming the address
    Poll.until("15 refused", WAIT, () -> idle.stream().filter(Idle::closed).count() == 15);
    assertThat(idle.stream().filter(Idle::closed).map(Idle::received))
        .allSatisfy(answer -> assertThat(answer).startsWith("ERR 503 too many connections from your address"));
    assertThat(idle.stream().filter(c -> !c.closed()).map(Idle::received)).allSatisfy(a -> assertThat(a).isEmpty());
    assertThat(client.metric(HANDSHAKES)).isEqualTo(PER_ADDRESS);
    assertThat(client.metric(BUSY) - busyBefore).isEqualTo(15);

    // AND a WebSocket from that address is refused too: the share counts both entries
    Throwable refused = wsFrom("127.0.0.2", alice).toCompletionStage().toCompletableFuture()
        .handle((ws, e) -> e).get(30, TimeUnit.SECONDS);
    assertThat(refused).isInstanceOf(UpgradeRejectedException.class);
    assertThat(((UpgradeRejectedException) refused).getStatus()).isEqualTo(503);

    // WHEN alice connects from 127.0.0.1, on the raw port and on the WebSocket
    // THEN both complete their handshake and carry her streams
    assertRawStreamServed();
    assertWebSocketServed();

    // WHEN two more addresses fill the node's other 20 slots
    for (String source : List.of("127.0.0.3", "127.0.0.4")) {
      for (int i = 0; i < PER_ADDRESS; i++) {
        idle.add(Idle.open(source));
      }
    }
    Poll.until("the node's slots all taken", WAIT, () -> client.metric(HANDSHAKES) == PER_NODE);

    // THEN the node's own cap refuses a connection from 127.0.0.1
    Idle late = Idle.open("127.0.0.1");
    Poll.until("refused", WAIT, late::closed);
    assertThat(late.received()).startsWith("ERR 503 too many connections are starting");

    // AND once the idle connections leave, their slots are free again
    for (Idle connection : idle) {
      await(connection.socket.close());
    }
    Poll.until("slots freed", WAIT, () -> client.metric(HANDSHAKES) == 0);
    assertRawStreamServed();
  }

  // ---- helpers ----

  private static final String HANDSHAKES = "outpost_gateway_handshakes";
  private static final String BUSY = "outpost_gateway_refusals_total{reason=\"busy\"}";

  /** A TLS connection to the raw gateway port from a given address that sends nothing, and what it gets. */
  private record Idle(NetSocket socket, Buffer data, CompletableFuture<Void> closedAt) {

    static Idle open(String source) throws Exception {
      NetClient tlsClient = clients.computeIfAbsent(source, s -> vertx.createNetClient(new NetClientOptions()
          .setSsl(true).setTrustOptions(Tls.siteTrust(site.node().certificates()))
          .setHostnameVerificationAlgorithm("HTTPS").setLocalAddress(s).setConnectTimeout(30_000)));
      // the handlers are set on the connection's event loop as it completes: nothing the node sends is missed
      return await(tlsClient.connect(site.node().gatewayPort(), "127.0.0.1").map(socket -> {
        Idle idle = new Idle(socket, Buffer.buffer(), new CompletableFuture<>());
        socket.handler(bytes -> {
          synchronized (idle.data) {
            idle.data.appendBuffer(bytes);
          }
        });
        socket.closeHandler(v -> idle.closedAt.complete(null));
        return idle;
      }));
    }

    boolean closed() {
      return closedAt.isDone();
    }

    String received() {
      synchronized (data) {
        return data.toString(StandardCharsets.UTF_8);
      }
    }
  }

  private static void assertRawStreamServed() throws Exception {
    String ticket = launch();
    try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", site.node().gatewayPort())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII));
      assertThat(readLine(socket.getInputStream())).startsWith("OK ");
      socket.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      assertThat(new String(socket.getInputStream().readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
    }
  }

  private static void assertWebSocketServed() throws Exception {
    String ticket = launch();
    WebSocket ws = await(wsFrom("127.0.0.1", alice));
    CompletableFuture<JsonObject> hello = new CompletableFuture<>();
    CompletableFuture<Buffer> echoed = new CompletableFuture<>();
    ws.textMessageHandler(text -> hello.complete(new JsonObject(text)));
    ws.binaryMessageHandler(echoed::complete);
    await(ws.writeTextMessage(new JsonObject().put("v", 1).put("ticket", ticket).encode()));
    assertThat(hello.get(30, TimeUnit.SECONDS).getInteger("status")).isEqualTo(200);
    await(ws.writeBinaryMessage(Buffer.buffer("pong")));
    assertThat(echoed.get(30, TimeUnit.SECONDS).toString()).isEqualTo("pong");
    await(ws.close());
  }

  private static Future<WebSocket> wsFrom(String source, String bearer) {
    WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(Tls.siteTrust(site.node().certificates())).setVerifyHost(true).setLocalAddress(source)
        .setConnectTimeout(30_000));
    return ws.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(site.httpsPort()).setURI("/gateway")
        .addHeader("Authorization", "Bearer " + bearer));
  }

  private static String launch() {
    Response launch = client.post("/api/v1/resources/echo/launch", alice, null);
    assertThat(launch.status()).as(launch.body()).isEqualTo(200);
    return launch.json().getString("ticket");
  }

  private static String readLine(InputStream in) throws java.io.IOException {
    StringBuilder line = new StringBuilder();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      line.append((char) c);
    }
    return line.toString();
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

}
