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

      // WHEN the database is back THEN the session written behind reaches it, and the spool is gone
      network.restore();
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
    }
  }

  private static <T> T await(io.vertx.core.Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
