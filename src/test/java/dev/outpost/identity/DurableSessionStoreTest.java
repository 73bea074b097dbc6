package dev.outpost.identity;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.map.IMap;
import dev.outpost.cluster.SealedMap;
import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.db.DbConfig;
import dev.outpost.db.DiskSpool;
import dev.outpost.testing.ClusterNode;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.TcpProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session store of an appliance on a real cluster member and a real PostgreSQL reached through a proxy the test
 * can cut: a session the cluster lost (a restart of the site) is found again from the database, expired ones are not,
 * a revoked user's sessions do not come back, and with the database down sign-in works from the cluster while its
 * writes wait in the spool, to be written in order once the database answers.
 */
class DurableSessionStoreTest {

  private static final Duration TTL = Duration.ofHours(1);

  @TempDir
  static Path tmp;
  static io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres;
  static TcpProxy network;
  static ClusterNode node;
  static Database db;
  static final SecretBox SECRETS = SecretBox.generate();
  static DiskSpool spool;
  static DurableSessionStore store;
  static StoredSessions stored;

  @BeforeAll
  static void start() throws Exception {
    postgres = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("pg")).setCleanDataDirectory(true)
        .setOverrideWorkingDirectory(tmp.resolve("pg-run").toFile()).start();
    network = new TcpProxy(postgres.getPort());
    int port = FreePorts.next();
    node = ClusterNode.start("sessions-test-" + port, "sessions-test-cluster-secret", new int[] {port}, 0);
    db = await(Database.start(node.vertx(), new DbConfig("postgresql://postgres@127.0.0.1:" + network.port()
        + "/postgres", 4), tmp.resolve("node")));
    stored = new StoredSessions(db, SECRETS);
    spool = DiskSpool.inDataDir(node.vertx(), tmp.resolve("node"), DurableSessionStore.SPOOL,
        new SimpleMeterRegistry());
    store = DurableSessionStore.create(node.vertx(), new HazelcastSessionStore(node.vertx(),
            SealedMap.of(node.hazelcast(), HazelcastSessionStore.MAP_NAME, node.seal()),
            SealedMap.of(node.hazelcast(), HazelcastSessionStore.REVOCATIONS_MAP_NAME, node.seal())),
        stored, spool, Clock.systemUTC());
  }

  @AfterAll
  static void stop() throws Exception {
    if (db != null) {
      await(db.close());
    }
    if (node != null) {
      node.close();
    }
    if (network != null) {
      network.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  @BeforeEach
  void databaseUp() throws Exception {
    network.restore();
    Poll.until("the spool written", Duration.ofSeconds(60), spool::isEmpty);
  }

  @Test
  void aSessionTheClusterLostIsFoundAgainInTheDatabaseAndPutBack() throws Exception {
    // GIVEN a signed-in session
    Principal ada = principal("ada", Instant.now().plus(TTL));
    await(store.put(ada, TTL));

    // THEN the database holds its token hash and its principal sealed, nothing in clear
    Row row = await(db.pool().preparedQuery("SELECT user_id, principal_enc FROM sign_in_sessions WHERE id = $1")
        .execute(Tuple.of(ada.sessionId()))).iterator().next();
    assertThat(row.getString("user_id")).isEqualTo(ada.userId());
    assertThat(row.getString("principal_enc")).doesNotContain(ada.csrfToken());

    // WHEN the cluster loses every session (the whole site restarted)
    forgetClusterState();

    // THEN the session is found with all it held, and the cluster holds it again
    Principal found = await(store.find(ada.sessionId()));
    assertThat(found).isNotNull();
    assertThat(found.username()).isEqualTo("ada");
    assertThat(found.csrfToken()).isEqualTo(ada.csrfToken());
    assertThat(found.roles()).containsExactly(Role.ADMIN);
    assertThat(sessionsMap().containsKey(ada.sessionId())).isTrue();

    // WHEN she signs out, THEN the session is gone from the database as well
    await(store.remove(ada.sessionId()));
    forgetClusterState();
    assertThat(await(store.find(ada.sessionId()))).isNull();
    assertThat(count("SELECT count(*) FROM sign_in_sessions WHERE id = $1", ada.sessionId())).isZero();
  }

  @Test
  void anExpiredSessionDoesNotComeBackAndIsPurged() throws Exception {
    // GIVEN a session that lives two seconds
    Principal bo = principal("bo", Instant.now().plusSeconds(2));
    await(store.put(bo, Duration.ofSeconds(2)));
    assertThat(await(store.find(bo.sessionId()))).isNotNull();

    // WHEN it has expired and the cluster lost its state
    Poll.until("the session expired", Duration.ofSeconds(30), () -> Instant.now().isAfter(bo.expiresAt()));
    forgetClusterState();

    // THEN the database does not bring it back, and a purge deletes its row
    assertThat(await(store.find(bo.sessionId()))).isNull();
    assertThat(await(stored.purge())).isPositive();
    assertThat(count("SELECT count(*) FROM sign_in_sessions WHERE id = $1", bo.sessionId())).isZero();
  }

  @Test
  void aRevokedUsersSessionsStayEndedAfterTheClusterLostItsState() throws Exception {
    // GIVEN two sessions of cy and one of dee
    Principal cy1 = principal("cy", Instant.now().plus(TTL));
    Principal cy2 = principal("cy", cy1.userId(), Instant.now().plus(TTL));
    Principal dee = principal("dee", Instant.now().plus(TTL));
    for (Principal p : List.of(cy1, cy2, dee)) {
      await(store.put(p, TTL));
    }

    // WHEN cy's account is disabled (all her sessions end), and later the site restarts
    await(store.revokeUser(cy1.userId()));
    assertThat(await(store.find(cy1.sessionId()))).isNull();
    forgetClusterState();

    // THEN none of cy's sessions comes back, dee's does
    assertThat(await(store.find(cy1.sessionId()))).isNull();
    assertThat(await(store.find(cy2.sessionId()))).isNull();
    assertThat(await(store.find(dee.sessionId()))).isNotNull();

    // AND a sign-in of cy after the revocation (her account enabled again) works, also after a restart
    Principal later = principal("cy", cy1.userId(), Instant.now().plus(TTL), Instant.now().plusMillis(5));
    Poll.until("the clock moved past the revocation", Duration.ofSeconds(5),
        () -> Instant.now().isAfter(later.createdAt()));
    await(store.put(later, TTL));
    forgetClusterState();
    assertThat(await(store.find(later.sessionId()))).isNotNull();
  }

  @Test
  void withTheDatabaseDownSignInWorksAndItsWritesReachTheDatabaseLaterInOrder() throws Exception {
    // GIVEN a session of eve stored while the database answered
    Principal eveBefore = principal("eve", Instant.now().plus(TTL));
    await(store.put(eveBefore, TTL));

    // WHEN the database goes down: fay signs in, eve's account is disabled, gus signs in and out
    network.down();
    List<Principal> opened = new ArrayList<>();
    Principal fay = principal("fay", Instant.now().plus(TTL));
    await(store.put(fay, TTL));
    opened.add(fay);
    await(store.revokeUser(eveBefore.userId()));
    Principal gus = principal("gus", Instant.now().plus(TTL));
    await(store.put(gus, TTL));
    await(store.remove(gus.sessionId()));

    // THEN sign-in works from the cluster, and the writes wait on disk
    assertThat(await(store.find(fay.sessionId()))).isNotNull();
    assertThat(await(store.find(eveBefore.sessionId()))).isNull();
    assertThat(spool.isEmpty()).isFalse();

    // WHEN the database answers again
    network.restore();
    Poll.until("the spool written", Duration.ofSeconds(60), spool::isEmpty);

    // THEN after the site restarted, fay is still signed in, eve and gus are not
    forgetClusterState();
    assertThat(await(store.find(fay.sessionId()))).isNotNull();
    assertThat(await(store.find(eveBefore.sessionId()))).isNull();
    assertThat(await(store.find(gus.sessionId()))).isNull();
  }

  @Test
  void aSessionNotInTheClusterIsUnknownWhileTheDatabaseIsDown() throws Exception {
    // GIVEN a stored session the cluster lost
    Principal hal = principal("hal", Instant.now().plus(TTL));
    await(store.put(hal, TTL));
    forgetClusterState();

    // WHEN the database is down, THEN the session is unknown (sign in again), not an error
    network.down();
    assertThat(await(store.find(hal.sessionId()))).isNull();

    // AND once it answers, the session is back
    network.restore();
    Poll.until("the session found again", Duration.ofSeconds(60), () -> {
      try {
        return await(store.find(hal.sessionId())) != null;
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
  }

  private static Principal principal(String username, Instant expires) {
    return principal(username, UUID.randomUUID().toString(), expires);
  }

  private static Principal principal(String username, String userId, Instant expires) {
    return principal(username, userId, expires, Instant.now());
  }

  private static Principal principal(String username, String userId, Instant expires, Instant created) {
    return new Principal(UUID.randomUUID().toString().replace("-", ""), userId, username, username, Set.of(Role.ADMIN),
        "csrf-" + UUID.randomUUID(), created, expires);
  }

  private static IMap<String, String> sessionsMap() {
    return node.hazelcast().getMap(HazelcastSessionStore.MAP_NAME);
  }

  /** What a restart of every node does to the cluster's state. */
  private static void forgetClusterState() {
    sessionsMap().clear();
    node.hazelcast().getMap(HazelcastSessionStore.REVOCATIONS_MAP_NAME).clear();
  }

  private static long count(String sql, String param) throws Exception {
    return await(db.pool().preparedQuery(sql).execute(Tuple.of(param))).iterator().next().getLong(0);
  }
}
