package dev.outpost.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TcpProxy;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database outage on a real site: PostgreSQL (real, external by URL) becomes unreachable, as when its server
 * stops. Sign-in (from the local host cache), enumeration and launch keep working; when the database is back, the
 * session history written behind reaches it.
 */
class DatabaseOutageTest {

  @TempDir
  Path tmp;

  @Test
  void signInEnumerationAndLaunchGoOnWhileTheDatabaseIsDown() throws Exception {
    try (var postgres = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("pg")).setCleanDataDirectory(true)
        .setOverrideWorkingDirectory(tmp.resolve("pg-run").toFile()).start();
        TcpProxy network = new TcpProxy(postgres.getPort());
        TestSite site = TestSite.start(tmp.resolve("node"), Map.of("db.url",
            "postgresql://postgres@127.0.0.1:" + network.port() + "/postgres", "hub.sync-interval", "1s"))) {
      // GIVEN a user entitled to a resource on a registered host, and the local host cache holding the site
      SiteClient client = site.client();
      String admin = site.adminToken();
      String poolId = client.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":5}")
          .created()
          .getString("id");
      client.post("/admin/api/v1/resources", admin, "{\"name\":\"shell\",\"pool\":\"linux\",\"kind\":\"desktop\","
          + "\"port\":22}").created();
      client.post("/admin/api/v1/users", admin, "{\"username\":\"alice\",\"password\":\"alice-password-1\"}").created();
      client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"user\":\"alice\"}").created();
      UUID hostId = UUID.randomUUID();
      await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
          + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
          .execute(Tuple.of(hostId, "host-1", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId)));
      await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "host-1", poolId, "127.0.0.1",
          "node", Map.of(22, true), 0.1, List.of())));
      Path cache = site.dataDir().resolve("lhc/snapshot.json");
      Poll.until("the local host cache holds alice", Duration.ofSeconds(30),
          () -> Files.exists(cache) && SiteClient.readOrEmpty(cache).contains("alice"));

      String before = client.login("alice", "alice-password-1");
      Poll.until("the broker lists shell for alice", Duration.ofSeconds(30), () -> client.get("/api/v1/resources",
          before).json().getJsonArray("items").size() == 1);

      // AND a user launching and logging off in a loop all along
      SteadyLoad load = new SteadyLoad(client, client.login("alice", "alice-password-1"));
      load.start();
      Poll.until("the load runs", Duration.ofSeconds(30), () -> load.cycles.get() >= 5);

      // WHEN PostgreSQL cannot be reached
      network.down();
      assertThat(client.get("/health/ready", null).status()).isEqualTo(503);

      // THEN alice signs in, lists and launches; a wrong password is still refused
      String alice = client.login("alice", "alice-password-1");
      assertThat(client.get("/api/v1/resources", alice).json().getJsonArray("items").getJsonObject(0)
          .getBoolean("available")).isTrue();
      Response launch = client.post("/api/v1/resources/shell/launch", alice, null);
      assertThat(launch.status()).as(launch.body()).isEqualTo(200);
      assertThat(launch.json().getString("ticket")).isNotBlank();
      String sessionId = launch.json().getJsonObject("session").getString("id");
      assertThat(client.post("/api/v1/login", null, new JsonObject().put("username", "alice")
          .put("password", "wrong-password-1").encode()).status()).isEqualTo(401);

      // AND the session's history waits on disk, not only in memory
      Path spool = site.dataDir().resolve("spool/session-history.jsonl");
      Poll.until("the history is spooled", Duration.ofSeconds(30),
          () -> SiteClient.readOrEmpty(spool).contains(sessionId));

      // WHEN the database is back THEN no launch of the load failed, the session written behind reaches it, and
      // every session of the load is in the history: nothing was lost
      int duringOutage = load.cycles.get();
      Poll.until("the load ran during the outage", Duration.ofSeconds(30), () -> load.cycles.get() >= duringOutage + 5);
      network.restore();
      load.stop();
      assertThat(load.failures).as("launch or log-off failures: %s", load.firstFailure).hasValue(0);
      Poll.until("the session history reaches the database", Duration.ofSeconds(30), () -> {
        try (var conn = postgres.getPostgresDatabase().getConnection();
            var rs = conn.createStatement().executeQuery("SELECT count(*) FROM session_history WHERE id = '"
                + UUID.fromString(sessionId) + "'")) {
          rs.next();
          return rs.getInt(1) == 1;
        } catch (java.sql.SQLException e) {
          return false;
        }
      });
      Poll.until("ready again", Duration.ofSeconds(30), () -> client.get("/health/ready", null).status() == 200);
      Poll.until("the spool is emptied", Duration.ofSeconds(30), () -> !Files.exists(spool));
      Poll.until("every session of the load is in the history", Duration.ofSeconds(30), () -> {
        try (var conn = postgres.getPostgresDatabase().getConnection();
            var rs = conn.createStatement()
                .executeQuery("SELECT count(*) FROM session_history WHERE state = 'ended'")) {
          rs.next();
          return rs.getInt(1) >= load.cycles.get();
        } catch (java.sql.SQLException e) {
          return false;
        }
      });
    }
  }

  /** One user launching and logging off in a loop on a thread of its own, counting what fails. */
  private static final class SteadyLoad {
    final java.util.concurrent.atomic.AtomicInteger cycles = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    volatile String firstFailure = "";
    private final SiteClient client;
    private final String token;
    private final Thread thread;
    private volatile boolean running = true;

    SteadyLoad(SiteClient client, String token) {
      this.client = client;
      this.token = token;
      this.thread = new Thread(this::run, "steady-load");
    }

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join(30_000);
    }

    private void run() {
      while (running) {
        Response launch = client.post("/api/v1/resources/shell/launch", token, null);
        Response logoff = launch.status() == 200 ? client.post("/api/v1/sessions/"
            + launch.json().getJsonObject("session").getString("id") + "/logoff", token, null) : launch;
        if (logoff.status() == 200) {
          cycles.incrementAndGet();
        } else if (failures.getAndIncrement() == 0) {
          firstFailure = logoff.status() + " " + logoff.body();
        }
      }
    }
  }

  private static <T> T await(io.vertx.core.Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
