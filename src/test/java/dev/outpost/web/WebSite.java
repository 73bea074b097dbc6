package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sshd;
import dev.outpost.testing.TestSite;
import dev.outpost.testing.Xvnc;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One real site for every browser test of the run: embedded PostgreSQL, Hazelcast, HTTPS, a session host registered
 * for pool {@code web} (and a second, enrolled but silent, so lost) whose resource {@code echo} is a real TCP echo
 * server, and users {@code alice} (entitled to {@code echo}), {@code bob} (entitled to nothing yet), {@code terry}
 * (entitled to {@code sshbox}, an SSH resource on a real OpenSSH sshd of the same host, for the browser terminal, and
 * {@code sshca}, the same with a host login the site's SSH user CA signs for, which that sshd trusts), {@code
 * helpdesk} (session-admin) and {@code dana} (entitled to {@code desktop}, a VNC resource on a real TigerVNC Xvnc
 * painted {@link #DESKTOP_COLOUR}, and {@code lockeddesktop}, another Xvnc painted {@link #LOCKED_COLOUR} that asks
 * for {@link #DESKTOP_PASSWORD}, both for the browser desktop). The browser reaches the site through a {@link
 * NetworkLink} that a test can cut. Resolved as a parameter of {@code @BeforeAll} methods; closed when the whole run
 * ends.
 */
public final class WebSite implements ParameterResolver, AutoCloseable {

  static final String PASSWORD_SUFFIX = "-password-1";
  static final String POOL = "web";
  static final String DESKTOP_COLOUR = "#336699";
  static final String LOCKED_COLOUR = "#996633";
  static final String DESKTOP_PASSWORD = "vnc-pass";

  final Path dir;
  final TestSite site;
  final SiteClient client;
  final Vertx vertx;
  final NetServer echo;
  final NetworkLink link;
  final String adminToken;
  final Sshd sshd;
  final Xvnc desktop;
  final Xvnc lockedDesktop;

  /** The JUnit extension instance; the site itself is made once and kept in the root store. */
  public WebSite() {
    this.dir = null;
    this.site = null;
    this.client = null;
    this.vertx = null;
    this.echo = null;
    this.link = null;
    this.adminToken = null;
    this.sshd = null;
    this.desktop = null;
    this.lockedDesktop = null;
  }

  private WebSite(Path dir) throws Exception {
    this.dir = dir;
    // agents are simulated: a long heartbeat keeps the registered host from being declared lost mid-run
    this.site = TestSite.start(dir.resolve("node"), Map.of("broker.heartbeat-interval", "10m"));
    this.client = site.client();
    this.vertx = Vertx.vertx();
    this.echo = await(vertx.createNetServer().connectHandler(socket -> socket.pipeTo(socket)).listen(0, "127.0.0.1"));
    this.link = NetworkLink.start(vertx, site.httpsPort());
    this.adminToken = site.adminToken();
    // the host trusts the site's SSH user CA, as an agent started with --trust-ssh-user-ca has it install
    Path trusted = Files.writeString(dir.resolve("outpost_user_ca.pub"), client.get("/api/v1/ssh-user-ca", null)
        .body());
    this.sshd = Sshd.start(dir.resolve("sshd"), List.of("TrustedUserCAKeys " + trusted));
    this.desktop = Xvnc.start(dir.resolve("xvnc"));
    desktop.paintBackground(DESKTOP_COLOUR);
    this.lockedDesktop = Xvnc.start(dir.resolve("xvnc-locked"), DESKTOP_PASSWORD);
    lockedDesktop.paintBackground(LOCKED_COLOUR);
    populate();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == WebSite.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getRoot().getStore(ExtensionContext.Namespace.create(WebSite.class))
        .getOrComputeIfAbsent("site", key -> start(), WebSite.class);
  }

  private static WebSite start() {
    try {
      return new WebSite(Files.createTempDirectory("outpost-web"));
    } catch (Exception e) {
      throw new IllegalStateException("the web test site did not start: " + e.getMessage(), e);
    }
  }

  /** The store's address as the browser reaches it (through the link). */
  String url(String path) {
    return "https://localhost:" + link.port() + path;
  }

  String createUser(String username, String... roles) {
    JsonObject body = new JsonObject().put("username", username).put("password", username + PASSWORD_SUFFIX);
    if (roles.length > 0) {
      body.put("roles", new io.vertx.core.json.JsonArray(List.of(roles)));
    }
    return created(client.post("/admin/api/v1/users", adminToken, body.encode())).getString("id");
  }

  JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  private void populate() throws Exception {
    String poolId = created(client.post("/admin/api/v1/pools", adminToken,
        new JsonObject().put("name", POOL).put("maxSessionsPerHost", 50).encode())).getString("id");
    for (String resource : List.of("echo", "secret")) {
      created(client.post("/admin/api/v1/resources", adminToken, new JsonObject().put("name", resource)
          .put("displayName", resource.equals("echo") ? "Echo service" : "").put("pool", POOL).put("kind", "app")
          .put("port", echo.actualPort()).encode()));
    }
    created(client.post("/admin/api/v1/resources", adminToken, new JsonObject().put("name", "sshbox")
        .put("displayName", "Shell").put("pool", POOL).put("kind", "app").put("port", sshd.port())
        .put("launchHint", "ssh").encode()));
    createUser("alice");
    created(client.post("/admin/api/v1/resources", adminToken, new JsonObject().put("name", "sshca")
        .put("displayName", "Shell with certificate").put("pool", POOL).put("kind", "app").put("port", sshd.port())
        .put("launchHint", "ssh").put("hostLogin", Sshd.USER).encode()));
    createUser("terry");
    for (String resource : List.of("sshbox", "sshca")) {
      created(client.post("/admin/api/v1/entitlements", adminToken,
          new JsonObject().put("resource", resource).put("user", "terry").encode()));
    }
    createVncResource("desktop", "Linux desktop", desktop);
    createVncResource("lockeddesktop", "Desktop with a password", lockedDesktop);
    createUser("dana");
    for (String resource : List.of("desktop", "lockeddesktop")) {
      created(client.post("/admin/api/v1/entitlements", adminToken,
          new JsonObject().put("resource", resource).put("user", "dana").encode()));
    }
    createUser("bob");
    createUser("carol");
    createUser("helpdesk", "session-admin");
    created(client.post("/admin/api/v1/entitlements", adminToken,
        new JsonObject().put("resource", "echo").put("user", "alice").encode()));
    created(client.post("/admin/api/v1/entitlements", adminToken,
        new JsonObject().put("resource", "secret").put("user", "carol").encode()));
    UUID hostId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, "web-host-1", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId)));
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "web-host-1", poolId,
        "127.0.0.1", "node", Map.of(echo.actualPort(), true, sshd.port(), true, desktop.port(), true,
        lockedDesktop.port(), true), 0.1, List.of())));
    // an enrolled host whose agent never registered: the console lists it as lost
    UUID silentId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(silentId, "web-host-2", UUID.fromString(poolId), "127.0.0.2", "test-" + silentId)));
    String alice = client.login("alice", "alice" + PASSWORD_SUFFIX);
    Poll.until("echo listed as available for alice", Duration.ofSeconds(30), () -> client.get("/api/v1/resources",
        alice).json().getJsonArray("items").stream().map(JsonObject.class::cast)
        .anyMatch(r -> r.getString("name").equals("echo") && r.getBoolean("available")));
  }

  private void createVncResource(String name, String displayName, Xvnc server) {
    created(client.post("/admin/api/v1/resources", adminToken, new JsonObject().put("name", name)
        .put("displayName", displayName).put("pool", POOL).put("kind", "desktop").put("port", server.port())
        .put("launchHint", "vnc").encode()));
  }

  @Override
  public void close() {
    if (site == null) {
      return;
    }
    try {
      link.close();
      sshd.close();
      desktop.close();
      lockedDesktop.close();
      await(vertx.close());
    } catch (Exception e) {
      throw new IllegalStateException("the web test site did not stop cleanly", e);
    } finally {
      site.close();
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
