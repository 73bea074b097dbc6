package dev.outpost.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

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
      givenAliceAndAHost(site);
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

  @Test
  void adminActionsDuringTheOutageAreAuditedOnceEachInOrderWhenTheDatabaseIsBackAlsoAfterARestart() throws Exception {
    try (var postgres = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("pg")).setCleanDataDirectory(true)
        .setOverrideWorkingDirectory(tmp.resolve("pg-run").toFile()).start();
        TcpProxy network = new TcpProxy(postgres.getPort())) {
      Map<String, String> settings = Map.of("db.url", "postgresql://postgres@127.0.0.1:" + network.port()
          + "/postgres", "hub.sync-interval", "1s");
      Path spool = tmp.resolve("node/spool/audit.jsonl");
      List<String> actions = new java.util.ArrayList<>();
      try (TestSite site = TestSite.start(tmp.resolve("node"), settings)) {
        // GIVEN alice with a session on a registered host, and an admin signed in
        SiteClient client = site.client();
        String hostId = givenAliceAndAHost(site).toString();
        String admin = site.adminToken();
        String alice = client.login("alice", "alice-password-1");
        Poll.until("the broker lists shell for alice", Duration.ofSeconds(30), () -> client.get("/api/v1/resources",
            alice).json().getJsonArray("items").size() == 1);
        Response launch = client.post("/api/v1/resources/shell/launch", alice, null);
        assertThat(launch.status()).as(launch.body()).isEqualTo(200);
        String sessionId = launch.json().getJsonObject("session").getString("id");

        // WHEN PostgreSQL cannot be reached
        network.down();

        // THEN the admin disconnects and logs off alice's session
        assertThat(client.post("/admin/api/v1/sessions/" + sessionId + "/disconnect", admin, null).status())
            .isEqualTo(200);
        assertThat(client.post("/admin/api/v1/sessions/" + sessionId + "/logoff", admin, null).status())
            .isEqualTo(200);
        // AND revokes a lost device's lease, which this node knows at once
        String leaseId = UUID.randomUUID().toString();
        Response revoked = client.post("/admin/api/v1/leases/revocations", admin, new JsonObject().put("lease", leaseId)
            .put("reason", "laptop lost").encode());
        assertThat(revoked.status()).as(revoked.body()).isEqualTo(201);
        String revocationId = revoked.json().getString("id");
        assertThat(client.get("/admin/api/v1/leases/revocations", admin).body()).contains(revocationId);
        actions.addAll(List.of("session.disconnect:" + sessionId, "session.logoff:" + sessionId,
            "lease-revocation.create:" + revocationId));
        // AND changes of settings kept in the database are refused, saying why
        Response drain = client.put("/admin/api/v1/hosts/" + hostId, admin, "{\"draining\":true}");
        assertThat(drain.status()).isEqualTo(503);
        assertThat(drain.json().getString("detail")).contains("database");
        assertThat(client.post("/admin/api/v1/users", admin, "{\"username\":\"bob\",\"password\":"
            + "\"bob-password-1\"}").status()).isEqualTo(503);

        // AND the three entries and the revocation wait on disk, readable by the node's user only
        assertThat(Files.readAllLines(spool)).hasSize(3);
        Path revocations = tmp.resolve("node/spool/lease-revocations.jsonl");
        assertThat(SiteClient.readOrEmpty(revocations)).contains(revocationId);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(spool)))
            .isEqualTo("rw-------");

        // WHEN the database is back THEN the audit log lists each action once, in the order they happened
        network.restore();
        Poll.until("the audit spool is written", Duration.ofSeconds(30), () -> !Files.exists(spool));
        assertThat(audited(client, admin)).isEqualTo(actions);
        // AND the revocation is stored once
        Poll.until("the revocation spool is written", Duration.ofSeconds(30), () -> !Files.exists(revocations));
        assertThat(rows(postgres, "lease_revocations", revocationId)).isEqualTo(1);

        // WHEN the database is gone again, alice launches and the admin logs her off, and the node stops before the
        // database is back
        network.down();
        Response again = client.post("/api/v1/resources/shell/launch", alice, null);
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        String second = again.json().getJsonObject("session").getString("id");
        assertThat(client.post("/admin/api/v1/sessions/" + second + "/logoff", admin, null).status()).isEqualTo(200);
        actions.add("session.logoff:" + second);
        assertThat(Files.readAllLines(spool)).hasSize(1);
      }
      network.restore();
      // AND an earlier flush had written that entry but died before it could empty the spool
      writeAuditRowOf(postgres, Files.readAllLines(spool).get(0));

      // THEN the restarted node writes the spool, and the entry is in the audit log once
      try (TestSite site = TestSite.start(tmp.resolve("node"), settings)) {
        Poll.until("the audit spool is written after the restart", Duration.ofSeconds(30), () -> !Files.exists(spool));
        assertThat(audited(site.client(), site.adminToken())).isEqualTo(actions);
      }
    }
  }

  /**
   * A user alice entitled to {@code shell} in pool {@code linux}, a registered host {@code host-1} of it, and the
   * local host cache and broker knowing them; returns the host's id.
   */
  private static UUID givenAliceAndAHost(TestSite site) throws Exception {
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
    return hostId;
  }

  /** The audit log's session and lease revocation entries as {@code action:target}, oldest first. */
  private static List<String> audited(SiteClient client, String admin) {
    List<String> entries = new java.util.ArrayList<>(client.get("/admin/api/v1/audit?limit=500", admin).json()
        .getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(e -> List.of("session", "lease-revocation").contains(e.getString("targetType")))
        .map(e -> e.getString("action") + ":" + e.getString("targetId")).toList());
    java.util.Collections.reverse(entries);
    return entries;
  }

  /** How many rows of {@code table} have the id {@code id}. */
  private static int rows(io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres, String table, String id)
      throws java.sql.SQLException {
    try (var conn = postgres.getPostgresDatabase().getConnection();
        var rs = conn.createStatement().executeQuery("SELECT count(*) FROM " + table + " WHERE id = '"
            + UUID.fromString(id) + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Inserts the audit row of one spooled line, with its entry id, straight into PostgreSQL. */
  private static void writeAuditRowOf(io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres, String line)
      throws java.sql.SQLException {
    JsonObject entry = new JsonObject(line);
    try (var conn = postgres.getPostgresDatabase().getConnection();
        var insert = conn.prepareStatement("INSERT INTO audit_log(entry_id, at, actor, action, target_type, "
            + "target_id) VALUES (?::uuid, ?::timestamptz, ?, ?, ?, ?)")) {
      insert.setString(1, entry.getString("id"));
      insert.setString(2, entry.getString("at"));
      insert.setString(3, entry.getString("actor"));
      insert.setString(4, entry.getString("action"));
      insert.setString(5, entry.getString("targetType"));
      insert.setString(6, entry.getString("targetId"));
      insert.executeUpdate();
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

}
