package dev.outpost.gateway;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.http.Tls;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sshd;
import dev.outpost.testing.TcpProxy;
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
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The browser terminal's entry ({@code /gateway/terminal}) on a real site against a real OpenSSH sshd: the ticket is
 * consumed like the byte gateway's, the appliance logs in with the key the user gives, and the shell is carried
 * with UTF-8, resize, resume after a dropped connection, and log-off.
 */
class TerminalGatewayTest {

  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static Vertx vertx;
  static Sshd sshd;
  static String alice;
  static String key;

  @BeforeAll
  static void site() throws Exception {
    site = TestSite.start(tmp.resolve("node"));
    client = site.client();
    // the host trusts the site's SSH user CA, as 'outpost agent --trust-ssh-user-ca' sets it up
    Response caLine = client.get("/api/v1/ssh-user-ca", null);
    assertThat(caLine.status()).isEqualTo(200);
    assertThat(caLine.body()).startsWith("ecdsa-sha2-nistp256 ");
    Path trusted = Files.writeString(tmp.resolve("outpost-user-ca.pub"), caLine.body());
    sshd = Sshd.start(tmp.resolve("sshd"), List.of("TrustedUserCAKeys " + trusted));
    key = Files.readString(sshd.clientKey());
    vertx = Vertx.vertx();
    String admin = site.adminToken();
    String poolId = created(client.post("/admin/api/v1/pools", admin,
        "{\"name\":\"shells\",\"maxSessionsPerHost\":50}")).getString("id");
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell").put("pool", "shells")
        .put("kind", "app").put("port", sshd.port()).put("launchHint", "ssh").encode()));
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell-ca").put("pool", "shells")
        .put("kind", "app").put("port", sshd.port()).put("launchHint", "ssh").put("hostLogin", Sshd.USER).encode()));
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell-other")
        .put("pool", "shells").put("kind", "app").put("port", sshd.port()).put("launchHint", "ssh")
        .put("hostLogin", "somebody-else").encode()));
    created(client.post("/admin/api/v1/users", admin, new JsonObject().put("username", "alice")
        .put("password", "alice-password-1").encode()));
    for (String resource : List.of("shell", "shell-ca", "shell-other")) {
      created(client.post("/admin/api/v1/entitlements", admin, new JsonObject().put("resource", resource)
          .put("user", "alice").encode()));
    }
    alice = client.login("alice", "alice-password-1");
    UUID hostId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, "sshd-host", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId)));
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "sshd-host", poolId,
        "127.0.0.1", "node", Map.of(sshd.port(), true), 0.1, List.of())));
    Poll.until("shells listed", WAIT, () -> client.get("/api/v1/resources", alice).json().getJsonArray("items")
        .size() == 3);
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
  void aTicketAndAKeyOpenAShellThatCarriesUtf8AndResizesAndTheSessionConnects() throws Exception {
    // GIVEN a launch of the SSH resource
    JsonObject launch = launch();
    String sessionId = launch.getJsonObject("session").getString("id");

    // WHEN the terminal presents the ticket with the host login and its private key
    Terminal terminal = Terminal.open(site.httpsPort(), hello(launch));

    // THEN the gateway answers 200 with a resume token and the host key, and the session connects
    JsonObject answer = terminal.answer();
    assertThat(answer.getInteger("status")).isEqualTo(200);
    assertThat(answer.getString("resume")).hasSizeGreaterThan(20);
    assertThat(answer.getString("hostKey")).startsWith("SHA256:");
    assertThat(answer.getString("login")).isEqualTo(Sshd.USER);
    Poll.until("session connected", WAIT, () -> "connected".equals(sessionState(sessionId)));

    // WHEN the user types arithmetic, UTF-8 text, and resizes the terminal
    terminal.type("echo $((6*7)) ü€\r");
    terminal.control(new JsonObject().put("type", "resize").put("cols", 123).put("rows", 45));
    terminal.type("stty size\r");

    // THEN the shell answers each, in UTF-8, at the new size
    terminal.awaitOutput("42 ü€");
    terminal.awaitOutput("45 123");

    // WHEN the page closes the terminal THEN the session is reported disconnected
    terminal.close((short) 1000);
    Poll.until("session disconnected", WAIT, () -> "disconnected".equals(sessionState(sessionId)));
  }

  @Test
  void aDroppedConnectionResumesTheSameShellWithTheResumeToken() throws Exception {
    // GIVEN a terminal reached through a network path that can fail, with a shell variable set
    try (TcpProxy network = new TcpProxy(site.httpsPort())) {
      Terminal first = Terminal.open(network.port(), hello(launch()));
      String token = first.answer().getString("resume");
      first.type("X=41\r");
      first.type("echo set-$X\r");
      first.awaitOutput("set-41");

      // WHEN the network drops every connection (no close frame reaches the appliance) and comes back
      network.down();
      Poll.until("the page sees the drop", WAIT, first::closed);
      network.restore();

      // THEN the page resumes with its token and finds the same shell, and output made meanwhile arrives
      Terminal again = Terminal.open(network.port(), new JsonObject().put("v", 1).put("resume", token));
      assertThat(again.answer().getBoolean("resumed")).isTrue();
      again.type("echo $((X+1))\r");
      again.awaitOutput("42");
      again.close((short) 1000);
    }

    // AND a token is good only while its terminal lives
    Terminal late = Terminal.open(site.httpsPort(), new JsonObject().put("v", 1).put("resume", "no-such-token"));
    Poll.until("unknown token refused", WAIT, () -> Short.valueOf((short) 4404).equals(late.closeCode()));
  }

  @Test
  void aLogOffClosesTheTerminal() throws Exception {
    // GIVEN an open terminal
    JsonObject launch = launch();
    String sessionId = launch.getJsonObject("session").getString("id");
    Terminal terminal = Terminal.open(site.httpsPort(), hello(launch));
    assertThat(terminal.answer().getInteger("status")).isEqualTo(200);
    Poll.until("session connected", WAIT, () -> "connected".equals(sessionState(sessionId)));

    // WHEN the user logs the session off
    Response logoff = client.post("/api/v1/sessions/" + sessionId + "/logoff", alice, null);
    assertThat(logoff.status()).as(logoff.body()).isIn(200, 202, 204);

    // THEN the terminal is closed by the appliance, saying the session ended
    Poll.until("terminal closed", WAIT, terminal::closed);
    assertThat(terminal.closeCode()).isEqualTo((short) 1000);
    assertThat(terminal.closeReason()).isEqualTo("the session ended");
  }

  @Test
  void aWrongKeyIsRefusedWithTheHostsAnswerAndTheTicketIsUsedUp() throws Exception {
    // GIVEN a launch, and a key the host does not know
    Path other = tmp.resolve("other_key");
    Sshd.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other.toString());
    JsonObject launch = launch();

    // WHEN the terminal offers it
    Terminal terminal = Terminal.open(site.httpsPort(), hello(launch).put("privateKey", Files.readString(other)));

    // THEN the login is refused with a reason the page can show
    Poll.until("login refused", WAIT, terminal::closed);
    assertThat(terminal.closeCode()).isEqualTo((short) 4401);
    assertThat(terminal.closeReason()).contains("refused the login " + Sshd.USER);

    // AND the ticket cannot be presented again
    Terminal again = Terminal.open(site.httpsPort(), hello(launch));
    Poll.until("used ticket refused", WAIT, again::closed);
    assertThat(again.closeReason()).contains("unknown ticket");
  }

  @Test
  void textThatIsNoHandshakeAndAKeyThatIsNoKeyAreRefused() throws Exception {
    Terminal junk = Terminal.open(site.httpsPort(), new JsonObject().put("v", 1).put("hello", "there"));
    Poll.until("junk refused", WAIT, junk::closed);
    assertThat(junk.closeCode()).isEqualTo((short) 4400);

    Terminal badKey = Terminal.open(site.httpsPort(), hello(launch()).put("privateKey", "not a key"));
    Poll.until("bad key refused", WAIT, badKey::closed);
    assertThat(badKey.closeCode()).isEqualTo((short) 4400);
    assertThat(badKey.closeReason()).contains("private key");
  }

  @Test
  void aResourceWithAHostLoginLogsInWithTheSitesShortLivedCertificate() throws Exception {
    // GIVEN a resource whose host login the site's SSH user CA signs for, and a host that trusts the CA
    assertThat(client.get("/api/v1/resources", alice).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(r -> r.getString("name").equals("shell-ca"))
        .map(r -> r.getString("hostLogin")).findFirst()).hasValue(Sshd.USER);

    // WHEN the terminal presents only the ticket: no login, no password, no key
    Terminal terminal = Terminal.open(site.httpsPort(), new JsonObject().put("v", 1)
        .put("ticket", launch("shell-ca").getString("ticket")).put("cols", 80).put("rows", 24));

    // THEN the appliance logs in as the resource's host login with a certificate, and the shell answers
    JsonObject answer = terminal.answer();
    assertThat(answer.getInteger("status")).isEqualTo(200);
    assertThat(answer.getString("login")).isEqualTo(Sshd.USER);
    terminal.type("echo $((6*7))\r");
    terminal.awaitOutput("42");
    terminal.close((short) 1000);

    // AND sshd logged the certificate's key id, which names the session for the host's own records
    Poll.until("sshd logged the certificate", WAIT, () -> {
      try {
        return sshd.log().contains("outpost user ");
      } catch (java.io.IOException e) {
        return false;
      }
    });
  }

  @Test
  void aCertificateForALoginTheHostDoesNotHaveIsRefused() throws Exception {
    // WHEN a resource's host login is an account the host does not have
    Terminal terminal = Terminal.open(site.httpsPort(), new JsonObject().put("v", 1)
        .put("ticket", launch("shell-other").getString("ticket")));

    // THEN the host refuses the certificate's login, and the page is told so
    Poll.until("login refused", WAIT, terminal::closed);
    assertThat(terminal.closeCode()).isEqualTo((short) 4401);
    assertThat(terminal.closeReason()).contains("somebody-else");
  }

  static JsonObject hello(JsonObject launch) {
    return new JsonObject().put("v", 1).put("ticket", launch.getString("ticket")).put("login", Sshd.USER)
        .put("privateKey", key).put("cols", 80).put("rows", 24);
  }

  static JsonObject launch() {
    return launch("shell");
  }

  static JsonObject launch(String resource) {
    Response launch = client.post("/api/v1/resources/" + resource + "/launch", alice, null);
    assertThat(launch.status()).as(launch.body()).isEqualTo(200);
    return launch.json();
  }

  static String sessionState(String sessionId) {
    JsonArray items = client.get("/api/v1/sessions", alice).json().getJsonArray("items");
    return items.stream().map(JsonObject.class::cast).filter(s -> s.getString("id").equals(sessionId))
        .map(s -> s.getString("state")).findFirst().orElse("gone");
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  /** A terminal page's socket: what it received (text answers, output bytes) and how it closed. */
  static final class Terminal {
    private final WebSocket ws;
    private final List<String> texts = new CopyOnWriteArrayList<>();
    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private volatile boolean closed;

    private Terminal(WebSocket ws) {
      this.ws = ws;
    }

    static Terminal open(int port, JsonObject hello) throws Exception {
      WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
          .setTrustOptions(Tls.siteTrust(site.node().certificates())).setVerifyHost(true));
      WebSocket socket = await(ws.connect(new WebSocketConnectOptions().setHost("localhost").setPort(port)
          .setURI(Gateway.TERMINAL_PATH)));
      Terminal terminal = new Terminal(socket);
      socket.textMessageHandler(text -> {
        if (!text.contains("\"pong\"")) {
          terminal.texts.add(text);
        }
      });
      socket.binaryMessageHandler(data -> {
        synchronized (terminal.output) {
          terminal.output.writeBytes(data.getBytes());
        }
      });
      socket.closeHandler(v -> terminal.closed = true);
      await(socket.writeTextMessage(hello.encode()));
      return terminal;
    }

    JsonObject answer() throws InterruptedException {
      Poll.until("the gateway's answer", WAIT, () -> !texts.isEmpty() || closed);
      assertThat(texts).as(() -> "closed with " + closeCode() + " " + closeReason()).isNotEmpty();
      return new JsonObject(texts.get(0));
    }

    void type(String text) throws Exception {
      await(ws.writeBinaryMessage(Buffer.buffer(text.getBytes(StandardCharsets.UTF_8))));
    }

    void control(JsonObject message) throws Exception {
      await(ws.writeTextMessage(message.encode()));
    }

    String output() {
      synchronized (output) {
        return output.toString(StandardCharsets.UTF_8);
      }
    }

    /** Waits for a line of output (the echo of the typed command does not count: it is not at a line start). */
    void awaitOutput(String line) throws InterruptedException {
      Poll.until("'" + line + "' printed; so far: " + output(), WAIT,
          () -> output().lines().anyMatch(l -> l.strip().equals(line)));
    }

    boolean closed() {
      return closed;
    }

    Short closeCode() {
      return closed ? ws.closeStatusCode() : null;
    }

    String closeReason() {
      return ws.closeReason();
    }

    void close(short code) throws Exception {
      await(ws.close(code, "closed by the page"));
    }
  }
}
