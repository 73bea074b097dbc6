package dev.outpost.recording;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.gateway.Gateway;
import dev.outpost.http.Tls;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sshd;
import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Session recording on a real site against a real OpenSSH sshd: a browser terminal of a pool whose policy records is
 * written as an asciicast v2 file with what the host printed and what the user typed, audited with the file's SHA-256,
 * served and deleted by the admin API; a terminal of a pool without the policy leaves nothing.
 */
class SessionRecordingTest {

  static final Duration WAIT = Duration.ofSeconds(20);
  static final String RECORDINGS = "/admin/api/v1/recordings";

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static Vertx vertx;
  /** Kept for the class: Vert.x closes a client nobody holds, even in the middle of a handshake. */
  static WebSocketClient sockets;
  static Sshd sshd;
  static String admin;
  static String alice;
  static String key;

  @BeforeAll
  static void site() throws Exception {
    site = TestSite.start(tmp.resolve("node"));
    client = site.client();
    sshd = Sshd.start(tmp.resolve("sshd"));
    key = Files.readString(sshd.clientKey());
    vertx = Vertx.vertx();
    sockets = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(Tls.siteTrust(site.node().certificates())).setVerifyHost(true));
    admin = site.adminToken();
    created(client.post("/admin/api/v1/users", admin, new JsonObject().put("username", "alice")
        .put("password", "alice-password-1").encode()));
    shellIn("recorded", true);
    shellIn("plain", false);
    alice = client.login("alice", "alice-password-1");
    Poll.until("shells listed", WAIT, () -> client.get("/api/v1/resources", alice).json().getJsonArray("items")
        .size() == 2);
  }

  /** A pool with or without the policy, a resource {@code NAME-shell} on the test's sshd, and a host serving it. */
  static void shellIn(String pool, boolean record) throws Exception {
    JsonObject created = created(client.post("/admin/api/v1/pools", admin, new JsonObject().put("name", pool)
        .put("maxSessionsPerHost", 50).put("recordSessions", record).encode()));
    assertThat(created.getBoolean("recordSessions")).isEqualTo(record);
    String poolId = created.getString("id");
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", pool + "-shell")
        .put("pool", pool).put("kind", "app").put("port", sshd.port()).put("launchHint", "ssh").encode()));
    created(client.post("/admin/api/v1/entitlements", admin, new JsonObject().put("resource", pool + "-shell")
        .put("user", "alice").encode()));
    UUID hostId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, pool + "-host", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId)));
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), pool + "-host", poolId,
        "127.0.0.1", "node", Map.of(sshd.port(), true), 0.1, List.of())));
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      await(vertx.close());
    }
    if (site != null) {
      site.close();
    }
    if (sshd != null) {
      sshd.close();
    }
  }

  @Test
  void aTerminalOfARecordingPoolIsRecordedAuditedWithItsHashAndServed() throws Exception {
    // GIVEN a pool whose policy records, and a terminal on one of its resources
    assertThat(client.get("/admin/api/v1/pools/recorded", admin).json().getBoolean("recordSessions")).isTrue();
    JsonObject launch = launch("recorded-shell");
    String sessionId = launch.getJsonObject("session").getString("id");
    Terminal terminal = Terminal.open(launch);
    assertThat(terminal.answer.getBoolean("recorded")).isTrue();

    // WHEN the user types arithmetic, resizes, and closes the terminal
    terminal.type("echo $((6*7))\r");
    terminal.awaitOutput("42");
    terminal.control(new JsonObject().put("type", "resize").put("cols", 100).put("rows", 30));
    terminal.close();

    // THEN the recording's audit entry names its file's SHA-256 and size
    JsonObject entry = awaitRecordingAudit(sessionId);
    JsonObject detail = entry.getJsonObject("detail");
    assertThat(entry.getString("targetType")).isEqualTo("session");
    assertThat(detail.getBoolean("truncated")).isFalse();
    String id = detail.getString("recording");

    // AND the admin API lists it for the session and for the user, and no other
    JsonArray bySession = client.get(RECORDINGS + "?session=" + sessionId, admin).json().getJsonArray("items");
    assertThat(bySession).hasSize(1);
    assertThat(bySession.getJsonObject(0).getString("id")).isEqualTo(id);
    assertThat(bySession.getJsonObject(0).getString("username")).isEqualTo("alice");
    assertThat(client.get(RECORDINGS + "?user=alice", admin).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).map(r -> r.getString("id"))).contains(id);
    assertThat(client.get(RECORDINGS + "?user=nobody", admin).json().getJsonArray("items")).isEmpty();

    // AND the download is the asciicast file the audit entry accounts for
    Response download = client.get(RECORDINGS + "/" + id, admin);
    assertThat(download.status()).as(download.body()).isEqualTo(200);
    assertThat(download.contentType()).startsWith(Recordings.MEDIA_TYPE);
    byte[] bytes = download.body().getBytes(StandardCharsets.UTF_8);
    assertThat(Sshd.sha256Hex(bytes)).isEqualTo(detail.getString("sha256"));
    assertThat((long) bytes.length).isEqualTo(detail.getLong("bytes"));
    Path file = site.dataDir().resolve(Recordings.DIRECTORY).resolve(id + ".cast");
    assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

    // AND it has a v2 header, the typed command as input, 42 as output, and the resize
    List<String> lines = download.body().lines().toList();
    JsonObject header = new JsonObject(lines.get(0));
    assertThat(header.getInteger("version")).isEqualTo(2);
    assertThat(header.getInteger("width")).isEqualTo(80);
    assertThat(header.getInteger("height")).isEqualTo(24);
    assertThat(header.getLong("timestamp")).isPositive();
    List<JsonArray> events = lines.stream().skip(1).map(JsonArray::new).toList();
    assertThat(events).allSatisfy(e -> assertThat(e.getValue(0)).isInstanceOf(Number.class));
    assertThat(text(events, "i")).contains("echo $((6*7))");
    assertThat(text(events, "o").lines().map(String::strip)).contains("42");
    assertThat(text(events, "r")).isEqualTo("100x30");

    // WHEN an admin deletes it THEN it is gone, and the deletion is audited
    assertThat(client.delete(RECORDINGS + "/" + id, admin).status()).isEqualTo(204);
    assertThat(client.get(RECORDINGS + "/" + id, admin).status()).isEqualTo(404);
    assertThat(Files.exists(file)).isFalse();
    assertThat(auditEntries("recording").stream().anyMatch(e -> e.getString("action").equals("recording.delete")
        && e.getString("targetId").equals(id))).isTrue();
  }

  @Test
  void aTerminalOfAPoolWithoutThePolicyIsNotRecorded() throws Exception {
    // GIVEN a pool without the policy
    assertThat(client.get("/admin/api/v1/pools/plain", admin).json().getBoolean("recordSessions")).isFalse();
    JsonObject launch = launch("plain-shell");
    String sessionId = launch.getJsonObject("session").getString("id");

    // WHEN a terminal on it runs a command (a recording starts at login, before any output)
    Terminal terminal = Terminal.open(launch);
    assertThat(terminal.answer.getBoolean("recorded")).isFalse();
    terminal.type("echo $((6*7))\r");
    terminal.awaitOutput("42");

    // THEN no recording of the session exists, on disk or in the API
    assertThat(client.get(RECORDINGS + "?session=" + sessionId, admin).json().getJsonArray("items")).isEmpty();
    try (var files = Files.list(site.dataDir().resolve(Recordings.DIRECTORY))) {
      assertThat(files.map(f -> read(f)).filter(text -> text.contains(sessionId)).toList()).isEmpty();
    }
    terminal.close();
  }

  @Test
  void recordingIdsThatAreNoneOrUnknownAreProblems() {
    // WHEN a recording is asked for by something that is no id, or by an id nobody recorded
    Response junk = client.get(RECORDINGS + "/not-an-id", admin);
    Response unknown = client.get(RECORDINGS + "/" + UUID.randomUUID(), admin);
    Response deleteUnknown = client.delete(RECORDINGS + "/" + UUID.randomUUID(), admin);

    // THEN they are problem+json answers: 400 and 404
    assertThat(junk.status()).isEqualTo(400);
    assertThat(junk.contentType()).startsWith("application/problem+json");
    assertThat(junk.json().getString("detail")).contains("not a recording id");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.contentType()).startsWith("application/problem+json");
    assertThat(deleteUnknown.status()).isEqualTo(404);
  }

  static JsonObject awaitRecordingAudit(String sessionId) throws InterruptedException {
    AtomicReference<JsonObject> found = new AtomicReference<>();
    Poll.until("the session.recording audit entry of " + sessionId, WAIT, () -> {
      auditEntries("session").stream()
          .filter(e -> e.getString("action").equals(Recordings.AUDIT_ACTION) && e.getString("targetId")
              .equals(sessionId)).findFirst().ifPresent(found::set);
      return found.get() != null;
    });
    return found.get();
  }

  static List<JsonObject> auditEntries(String targetType) {
    Response response = client.get("/admin/api/v1/audit?targetType=" + targetType + "&limit=500", admin);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.json().getJsonArray("items").stream().map(JsonObject.class::cast).toList();
  }

  /** The data of the events with this code, joined. */
  static String text(List<JsonArray> events, String code) {
    StringBuilder text = new StringBuilder();
    events.stream().filter(e -> code.equals(e.getString(1))).forEach(e -> text.append(e.getString(2)));
    return text.toString();
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  static JsonObject launch(String resource) {
    Response launch = client.post("/api/v1/resources/" + resource + "/launch", alice, null);
    assertThat(launch.status()).as(launch.body()).isEqualTo(200);
    return launch.json();
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  /** A terminal page's socket, logged in with the ticket and the test's key. */
  static final class Terminal {
    private final WebSocket ws;
    private final StringBuffer output = new StringBuffer();
    private JsonObject answer;

    private Terminal(WebSocket ws) {
      this.ws = ws;
    }

    static Terminal open(JsonObject launch) throws Exception {
      WebSocket socket = await(sockets.connect(new WebSocketConnectOptions().setHost("localhost")
          .setPort(site.httpsPort()).setURI(Gateway.TERMINAL_PATH)));
      Terminal terminal = new Terminal(socket);
      JsonObject[] answer = new JsonObject[1];
      socket.textMessageHandler(text -> answer[0] = answer[0] == null ? new JsonObject(text) : answer[0]);
      socket.binaryMessageHandler(data -> terminal.output.append(data.toString(StandardCharsets.UTF_8)));
      await(socket.writeTextMessage(new JsonObject().put("v", 1).put("ticket", launch.getString("ticket"))
          .put("login", Sshd.USER).put("privateKey", key).put("cols", 80).put("rows", 24).encode()));
      Poll.until("the gateway's answer", WAIT, () -> answer[0] != null || socket.isClosed());
      assertThat(answer[0]).as(() -> "closed with " + socket.closeStatusCode() + " " + socket.closeReason())
          .isNotNull();
      assertThat(answer[0].getInteger("status")).isEqualTo(200);
      terminal.answer = answer[0];
      return terminal;
    }

    void type(String text) throws Exception {
      await(ws.writeBinaryMessage(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8))));
    }

    void control(JsonObject message) throws Exception {
      await(ws.writeTextMessage(message.encode()));
    }

    /** Waits for a line of output (the echo of the typed command does not count: it is not at a line start). */
    void awaitOutput(String line) throws InterruptedException {
      Poll.until("'" + line + "' printed; so far: " + output, WAIT,
          () -> output.toString().lines().anyMatch(l -> l.strip().equals(line)));
    }

    void close() throws Exception {
      await(ws.close((short) 1000, "closed by the page"));
    }
  }
}
