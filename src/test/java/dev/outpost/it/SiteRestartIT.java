package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.it.OutpostProcess.Result;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean restart of a one-node site ({@code outpost appliance}, embedded PostgreSQL) as separate processes: an
 * admin's console cookie and a user's client token from before the restart still work without a new sign-in, a
 * disabled user's old token does not come back, the live session is listed again once the host's agent links again
 * (and the user's launch reconnects to it), and the session history keeps the sessions that ended before.
 */
class SiteRestartIT {

  private static final Duration START = Duration.ofMinutes(3);
  private static final Duration RELINK = Duration.ofMinutes(2);
  private static final String ADMIN_PASSWORD = "restart-it-admin-password";
  private static final String COOKIE = "__Host-outpost_session";

  @TempDir
  Path tmp;

  @Test
  void signInsLiveSessionsAndHistorySurviveACleanRestart() throws Exception {
    Path data = tmp.resolve("data");
    Path adminPassword = Files.writeString(tmp.resolve("admin-password"), ADMIN_PASSWORD);
    Path alicePassword = Files.writeString(tmp.resolve("alice-password"), "alice-password-1");
    int https = FreePorts.next();
    String[] appliance = {"appliance", "--data-dir", data.toString(), "--https-port", Integer.toString(https),
        "--cluster-bus-port", Integer.toString(FreePorts.next()), "--cluster-port", Integer.toString(FreePorts.next()),
        "--gateway-port", Integer.toString(FreePorts.next()), "--admin-password-file", adminPassword.toString()};
    Map<String, String> env = Map.of("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime());
    String url = "https://localhost:" + https;
    Path home = tmp.resolve("alice-home");
    List<Socket> held = new CopyOnWriteArrayList<>();

    try (Processes processes = new Processes(tmp); ServerSocket service = serviceHoldingConnections(held)) {
      OutpostProcess node = processes.start(env, appliance);
      node.awaitStdout("ready: " + url.replace(".", "\\.") + "/", START);
      String fingerprint = node.awaitStdout("CA sha256: ([0-9A-F:]{95})", START);
      SiteClient api = new SiteClient(data.resolve("tls/ca.crt"), https);

      // GIVEN the admin signed in to the console (cookie and CSRF token) and a site with a pool, an app on a port of
      // this test, alice entitled to it and bob, a user
      Response consoleLogin = api.post("/api/v1/login", null, new JsonObject().put("username", "admin")
          .put("password", ADMIN_PASSWORD).encode());
      assertThat(consoleLogin.status()).as(consoleLogin.body()).isEqualTo(200);
      String cookie = consoleLogin.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(COOKIE + "="))
          .findFirst().orElseThrow().split(";", 2)[0];
      String csrf = consoleLogin.json().getString("csrfToken");
      String admin = api.login("admin", ADMIN_PASSWORD);
      assertThat(api.post("/admin/api/v1/pools", admin, "{\"name\":\"restart-pool\",\"maxSessionsPerHost\":5}")
          .status()).isEqualTo(201);
      assertThat(api.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell")
          .put("pool", "restart-pool").put("kind", "desktop").put("port", service.getLocalPort()).encode()).status())
          .isEqualTo(201);
      for (String user : List.of("alice", "bob")) {
        assertThat(api.post("/admin/api/v1/users", admin, new JsonObject().put("username", user)
            .put("password", user + "-password-1").encode()).status()).isEqualTo(201);
        assertThat(api.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"user\":\"" + user + "\"}")
            .status()).isEqualTo(201);
      }

      // AND a host whose agent enrolled and linked
      JsonObject enroll = api.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"restart-pool\"}").created();
      OutpostProcess agent = processes.start(Map.of(), "agent", "--appliance", url, "--token",
          enroll.getString("token"), "--address", "127.0.0.1", "--name", "restart-host", "--data-dir",
          tmp.resolve("agent").toString());
      String hostId = agent.awaitStdout("Linked to " + url.replace(".", "\\.") + " as host ([0-9a-f-]{36})", START);

      // AND alice signed in with the client, whose bearer token it keeps, and bob with his
      Result login = client(home, "login", url, "--user", "alice", "--password-file", alicePassword.toString(),
          "--ca-sha256", fingerprint);
      assertThat(login.exitCode()).as(login.stderr()).isZero();
      String aliceToken = Files.readString(home.resolve("token")).trim();
      String bob = api.login("bob", "bob-password-1");

      // AND alice had a session she logged off (history), and has a live one, connected through a local forward
      JsonObject first = launch(api, aliceToken);
      assertThat(api.post("/api/v1/sessions/" + first.getString("id") + "/logoff", aliceToken, "{}").status())
          .isEqualTo(200);
      int localPort = FreePorts.next();
      OutpostProcess forward = processes.start(Map.of(), "client", "--home", home.toString(), "launch", "shell",
          "--local-port", Integer.toString(localPort));
      forward.awaitStdout("Forwarding 127\\.0\\.0\\.1:" + localPort + " to shell", START);
      Socket stream = new Socket(InetAddress.getLoopbackAddress(), localPort);
      JsonObject live = awaitOpenSession(api, admin, hostId, "connected");
      assertThat(live.getString("id")).isNotEqualTo(first.getString("id"));

      // AND bob's account is disabled: his token no longer works
      assertThat(api.put("/admin/api/v1/users/bob", admin, "{\"disabled\":true}").status()).isEqualTo(200);
      assertThat(api.get("/api/v1/resources", bob).status()).isEqualTo(401);

      // WHEN the appliance stops cleanly and starts again on the same data dir
      assertThat(node.stop()).isZero();
      stream.close();
      OutpostProcess before = node;
      node = processes.start(env, appliance);
      node.awaitStdout("ready: " + url.replace(".", "\\.") + "/", START);

      // THEN the admin's cookie still opens the console and, with the CSRF token, changes things
      Map<String, String> withCookie = Map.of("Cookie", cookie, "X-CSRF-Token", csrf);
      assertThat(api.send("GET", "/admin/api/v1/pools", null, null, null, withCookie).status()).isEqualTo(200);
      assertThat(api.send("POST", "/admin/api/v1/pools", null, "{\"name\":\"after-restart\",\"maxSessionsPerHost\":1}",
          "application/json", withCookie).status()).isEqualTo(201);

      // AND alice's client still works with its token, without signing in again
      Result apps = client(home, "apps");
      assertThat(apps.exitCode()).as(apps.stderr()).isZero();
      assertThat(apps.stdout()).contains("shell");
      assertThat(api.get("/api/v1/resources", aliceToken).status()).isEqualTo(200);

      // AND bob's old token did not come back
      assertThat(api.get("/api/v1/resources", bob).status()).isEqualTo(401);

      // AND once the agent linked again, alice's live session is listed again, to the admin and to her, as it was
      JsonObject relisted;
      try {
        relisted = awaitOpenSession(api, admin, hostId, null);
      } catch (AssertionError e) {
        throw new AssertionError(e.getMessage() + "; the node's log of sessions and hosts:\n" + String.join("\n",
            (before.stderr() + node.stderr()).lines().filter(l -> l.contains("ession") || l.contains("ost "))
                .toList()), e);
      }
      assertThat(relisted.getString("id")).isEqualTo(live.getString("id"));
      assertThat(relisted.getString("username")).isEqualTo("alice");
      assertThat(relisted.getString("resource")).isEqualTo("shell");
      // (to the microsecond: what PostgreSQL keeps of a time)
      assertThat(Instant.parse(relisted.getString("createdAt")))
          .isEqualTo(Instant.parse(live.getString("createdAt")).truncatedTo(ChronoUnit.MICROS));
      JsonArray own = api.get("/api/v1/sessions", aliceToken).json().getJsonArray("items");
      assertThat(own.stream().map(JsonObject.class::cast).map(s -> s.getString("id")))
          .contains(live.getString("id"));

      // AND her next launch reconnects to it
      JsonObject again = api.post("/api/v1/resources/shell/launch", aliceToken, "{}").json();
      assertThat(again.getBoolean("reconnected")).as(again.encode()).isTrue();
      assertThat(again.getJsonObject("session").getString("id")).isEqualTo(live.getString("id"));

      // AND the history still holds the session that ended before the restart
      JsonArray history = api.get("/api/v1/sessions/history", aliceToken).json().getJsonArray("items");
      assertThat(history.stream().map(JsonObject.class::cast).map(s -> s.getString("id")))
          .contains(first.getString("id"));
      JsonArray ended = api.get("/admin/api/v1/sessions?state=ended", admin).json().getJsonArray("items");
      assertThat(ended.stream().map(JsonObject.class::cast).map(s -> s.getString("id")))
          .contains(first.getString("id"));
    }
  }

  /**
   * A TCP service that accepts connections and keeps them open, like a host's app waiting for its user (the agent's
   * probes of its port included).
   */
  private static ServerSocket serviceHoldingConnections(List<Socket> held) throws IOException {
    ServerSocket service = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!service.isClosed()) {
        try {
          held.add(service.accept());
        } catch (IOException e) {
          return;
        }
      }
    }, "restart-it-service");
    acceptor.setDaemon(true);
    acceptor.start();
    return service;
  }

  /** Launches the app as the holder of {@code token}; the session. */
  private static JsonObject launch(SiteClient api, String token) {
    Response launched = api.post("/api/v1/resources/shell/launch", token, "{}");
    assertThat(launched.status()).as(launched.body()).isEqualTo(200);
    return launched.json().getJsonObject("session");
  }

  /** The one open session on the host, once the admin's list shows one (in {@code state}, unless null). */
  private static JsonObject awaitOpenSession(SiteClient api, String admin, String hostId, String state)
      throws InterruptedException {
    JsonObject[] found = new JsonObject[1];
    Poll.until("an open session listed on host " + hostId, RELINK, () -> {
      Response listed = api.get("/admin/api/v1/sessions?host=" + hostId, admin);
      if (listed.status() != 200) {
        return false;
      }
      List<JsonObject> open = listed.json().getJsonArray("items").stream().map(JsonObject.class::cast)
          .filter(s -> !"ended".equals(s.getString("state")))
          .filter(s -> state == null || state.equals(s.getString("state"))).toList();
      found[0] = open.size() == 1 ? open.get(0) : null;
      return found[0] != null;
    });
    return found[0];
  }

  private Result client(Path home, String... args) {
    String[] command = new String[args.length + 3];
    command[0] = "client";
    command[1] = "--home";
    command[2] = home.toString();
    System.arraycopy(args, 0, command, 3, args.length);
    return OutpostProcess.run(tmp, command);
  }
}
