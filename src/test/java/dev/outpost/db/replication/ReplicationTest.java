package dev.outpost.db.replication;

import dev.outpost.testing.Await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.PeerListener;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.TcpProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Streaming replication between real embedded PostgreSQL 18 servers on loopback, each with its own data dir, port
 * and TLS certificate, as the site's nodes run them: cloning, the synchronous rule, failover with a returning old
 * primary, and broken base backups.
 */
class ReplicationTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final byte[] SECRET = "a site secret of thirty-two bytes".getBytes();
  private static final String CLUSTER_ADDRESS = "127.0.0.2";

  @TempDir
  static Path shared;
  private static Path certificate;
  private static Path key;
  private static Path authority;

  private final List<ReplicationNode> nodes = new ArrayList<>();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private Vertx vertx;
  private Path root;

  @BeforeAll
  static void certificate() throws IOException {
    SiteCertificates tls = SiteCertificates.loadOrCreate(shared.resolve("tls"), "replication-test",
        List.of(CLUSTER_ADDRESS));
    certificate = shared.resolve("tls").resolve("node.crt");
    key = shared.resolve("tls").resolve("node.key");
    authority = shared.resolve("tls").resolve("ca.crt");
    assertThat(tls.nodeCertificate()).isNotNull();
  }

  @BeforeEach
  void setUp(TestInfo test) {
    vertx = Vertx.vertx();
    root = shared.resolve(test.getTestMethod().orElseThrow().getName() + "-" + Math.abs(test.getDisplayName()
        .hashCode()));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (ReplicationNode node : nodes) {
      node.database().close();
    }
    for (AutoCloseable resource : closing) {
      resource.close();
    }
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void aStandbyClonedFromThePrimaryStreamsItsLaterWrites() throws Exception {
    // GIVEN a primary holding rows
    ReplicationSettings primarySettings = settings("p1");
    ReplicationNode primary = started(ReplicationNode.startPrimary(vertx, dir("p1"), primarySettings));
    execute(primary, "CREATE TABLE notes (id int PRIMARY KEY, body text)",
        "INSERT INTO notes SELECT i, 'note ' || i FROM generate_series(1, 100) i");

    // WHEN a new node receives a base backup through a pipe and starts as its standby
    ReplicationNode standby = clone(primary, settings("s1"));

    // THEN it holds the rows, streams a later write over TLS, and both report their part
    assertThat(count(standby, "SELECT count(*) FROM notes")).isEqualTo(100);
    execute(primary, "INSERT INTO notes VALUES (101, 'after the clone')");
    Poll.until("the later row at the standby", DEADLINE,
        () -> count(standby, "SELECT count(*) FROM notes WHERE id = 101") == 1);
    assertThat(count(primary, "SELECT count(*) FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) "
        + "WHERE r.application_name = 's1' AND s.ssl")).as("replication over TLS").isEqualTo(1);
    ReplicationStatus atPrimary = Await.join(primary.status());
    assertThat(atPrimary.role()).isEqualTo(DatabaseRole.PRIMARY);
    assertThat(atPrimary.timeline()).isEqualTo(1);
    assertThat(atPrimary.standbys()).extracting(StandbyState::name, StandbyState::state)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("s1", "streaming"));
    ReplicationStatus atStandby = Await.join(standby.status());
    assertThat(atStandby.role()).isEqualTo(DatabaseRole.STANDBY);
    assertThat(atStandby.timeline()).isEqualTo(1);
    assertThat(atStandby.lsnValue()).isPositive();
    Throwable write = catchThrowable(() -> execute(standby, "INSERT INTO notes VALUES (102, 'at the standby')"));
    assertThat(write).hasMessageContaining("read-only");

    // AND the monitored status reaches the metrics
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    SimpleMeterRegistry standbyMetrics = new SimpleMeterRegistry();
    primary.bindMetrics(metrics);
    standby.bindMetrics(standbyMetrics);
    primary.startMonitoring(Duration.ofMillis(200));
    standby.startMonitoring(Duration.ofMillis(200));
    Poll.until("the status in the metrics", DEADLINE,
        () -> gauge(metrics, "outpost.db.replication.standbys.streaming") == 1
            && gauge(standbyMetrics, "outpost.db.replication.primary") == 0);
    assertThat(gauge(metrics, "outpost.db.replication.primary")).isEqualTo(1);
    assertThat(gauge(metrics, "outpost.db.replication.timeline")).isEqualTo(1);
    assertThat(gauge(standbyMetrics, "outpost.db.replication.lsn")).isPositive();
  }

  @Test
  void aCommitWaitsForTheStandbyWhileOneStreamsAndNotWhenNoneDoes() throws Exception {
    // GIVEN a primary with one streaming standby, and the rule brought in step
    ReplicationNode primary = started(ReplicationNode.startPrimary(vertx, dir("p1"), settings("p1")));
    execute(primary, "CREATE TABLE counts (id int PRIMARY KEY)");
    ReplicationNode standby = clone(primary, settings("s1"));
    Poll.until("the standby streams", DEADLINE, () -> streaming(primary) == 1);
    assertThat(Await.join(primary.synchronousStandbys().check())).isEqualTo("ANY 1 (\"s1\")");
    Poll.until("the standby counts for commits", DEADLINE, () -> count(primary,
        "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'quorum'") == 1);

    // WHEN a write commits (waiting for the standby's replay, as remote_apply asks)
    execute(primary, "SET synchronous_commit = remote_apply", "INSERT INTO counts VALUES (1)");

    // THEN the standby has it as the commit returns: no polling
    assertThat(count(standby, "SELECT count(*) FROM counts")).isEqualTo(1);

    // WHEN the standby stops
    Await.join(standby.stop());
    nodes.remove(standby);

    // THEN the periodic check drops the rule to none and writes commit without it
    primary.startMonitoring(Duration.ofMillis(200));
    Poll.until("the rule drops the stopped standby", DEADLINE,
        () -> count(primary, "SELECT count(*) FROM pg_settings WHERE name = 'synchronous_standby_names' "
            + "AND setting = ''") == 1);
    execute(primary, "SET statement_timeout = '30s'", "INSERT INTO counts VALUES (2)");
    assertThat(count(primary, "SELECT count(*) FROM counts")).isEqualTo(2);
    // a member the site says has left no longer counts, even while it would stream
    assertThat(Await.join(primary.synchronousStandbys().reconcile(Set.of()))).isEmpty();
  }

  @ParameterizedTest(name = "the old primary killed: {0}")
  @ValueSource(booleans = {true, false})
  void afterFailoverTheOldPrimaryIsClonedAgainAndHoldsOnlyTheSitesWrites(boolean killed) throws Exception {
    // GIVEN a primary and two standbys that reach it through proxies (to cut it off like a failed link)
    ReplicationNode primary = started(ReplicationNode.startPrimary(vertx, dir("p1"), settings("p1")));
    execute(primary, "CREATE TABLE events (id int PRIMARY KEY, origin text)",
        "INSERT INTO events VALUES (1, 'before')");
    TcpProxy toPrimaryFrom1 = proxy(primary);
    TcpProxy toPrimaryFrom2 = proxy(primary);
    ReplicationNode standby1 = clone(primary, settings("s1"), new PrimaryEndpoint("127.0.0.1",
        toPrimaryFrom1.port()));
    ReplicationNode standby2 = clone(primary, settings("s2"), new PrimaryEndpoint("127.0.0.1",
        toPrimaryFrom2.port()));
    Poll.until("both standbys stream", DEADLINE, () -> streaming(primary) == 2);
    assertThat(Await.join(primary.synchronousStandbys().check())).isEqualTo("ANY 1 (\"s1\", \"s2\")");
    execute(primary, "INSERT INTO events VALUES (2, 'acknowledged by a standby')");
    assertThat(catchThrowable(() -> Await.join(primary.follow(standby1.endpoint()))))
        .hasMessageContaining("is a primary");

    // WHEN the primary is cut off, drops to no synchronous standby, writes a row nobody else gets, and dies (killed,
    // or stopped cleanly as by a shutdown)
    toPrimaryFrom1.down();
    toPrimaryFrom2.down();
    Poll.until("the cut-off primary has no synchronous standby", DEADLINE,
        () -> Await.join(primary.synchronousStandbys().check()).isEmpty());
    execute(primary, "INSERT INTO events VALUES (3, 'only at the old primary')");
    if (killed) {
      ProcessHandle.of(primary.database().pid()).orElseThrow().destroyForcibly();
    }
    primary.database().close();
    nodes.remove(primary);

    // AND standby 1 is promoted, standby 2 follows it, and the new primary takes a write
    Await.join(standby1.promote());
    Await.join(standby2.follow(standby1.endpoint()));
    execute(standby1, "INSERT INTO events VALUES (4, 'after the failover')");
    Poll.until("standby 2 streams from the new primary", DEADLINE,
        () -> count(standby2, "SELECT count(*) FROM events WHERE id = 4") == 1);
    assertThat(Await.join(standby1.status()).timeline()).isEqualTo(2);
    assertThat(Await.join(standby2.status()).timeline()).isEqualTo(2);

    // THEN the old primary, returning, is found diverged and cloned again from the new primary over HTTP
    RejoinVerdict verdict = Await.join(ReplicationNode.assessRejoin(vertx, dir("p1"), settings("p1"),
        standby1.endpoint()));
    assertThat(verdict.canFollow()).as(verdict.reason()).isFalse();
    assertThat(verdict.reason()).contains(killed ? "did not stop cleanly" : "beyond where the primary left it");
    cloneOverHttp(standby1, dir("p1"), settings("p1"));
    ReplicationNode returned = started(ReplicationNode.startStandby(vertx, dir("p1"), settings("p1"),
        standby1.endpoint()));
    execute(standby1, "INSERT INTO events VALUES (5, 'after the return')");
    Poll.until("the returned node streams from the new primary", DEADLINE,
        () -> count(returned, "SELECT count(*) FROM events WHERE id = 5") == 1);
    assertThat(ids(returned)).containsExactly(1, 2, 4, 5);
    assertThat(Files.exists(dir("p1").resolve(BaseBackupSink.PREVIOUS).resolve("PG_VERSION")))
        .as("the diverged copy is kept aside").isTrue();
    assertThat(Await.join(standby1.synchronousStandbys().check())).isEqualTo("ANY 1 (\"p1\", \"s2\")");
  }

  @Test
  void aStandbyThatStoppedCleanlyBeforeTheFailoverFollowsWithoutACopy() throws Exception {
    // GIVEN a primary and its standby, stopped together cleanly after the standby had everything
    ReplicationNode primary = started(ReplicationNode.startPrimary(vertx, dir("p1"), settings("p1")));
    execute(primary, "CREATE TABLE events (id int PRIMARY KEY)", "INSERT INTO events VALUES (1)");
    ReplicationNode standby = clone(primary, settings("s1"));
    Poll.until("the standby has the row", DEADLINE, () -> count(standby, "SELECT count(*) FROM events") == 1);
    Await.join(standby.stop());
    nodes.remove(standby);

    // WHEN the primary goes on alone
    execute(primary, "INSERT INTO events VALUES (2)");

    // THEN the standby's data is a prefix of the primary's: it follows as it is
    assertThat(ControlFile.read(dir("s1").resolve(BaseBackupSink.DATA)).systemIdentifier()).isEqualTo(
        count(primary, "SELECT system_identifier FROM pg_control_system()"));
    RejoinVerdict verdict = Await.join(ReplicationNode.assessRejoin(vertx, dir("s1"), settings("s1"),
        primary.endpoint()));
    assertThat(verdict.canFollow()).as(verdict.reason()).isTrue();
    ReplicationNode again = started(ReplicationNode.startStandby(vertx, dir("s1"), settings("s1"),
        primary.endpoint()));
    Poll.until("the standby catches up", DEADLINE, () -> count(again, "SELECT count(*) FROM events") == 2);
  }

  @Test
  void aPeerTrustsOnlyAPrimaryWhoseCertificateTheSiteAuthorityIssued() throws Exception {
    // GIVEN a primary with the site's certificate
    ReplicationNode primary = started(ReplicationNode.startPrimary(vertx, dir("p1"), settings("p1")));

    // WHEN a node trusting the site's authority connects, and one trusting another authority does
    try (Connection trusted = Sql.peer(primary.endpoint(), settings("s1"), false)) {
      assertThat(trusted.isValid(5)).isTrue();
    }
    SiteCertificates.loadOrCreate(root.resolve("other-tls"), "another-site", List.of(CLUSTER_ADDRESS));
    ReplicationSettings mine = settings("s1");
    ReplicationSettings otherAuthority = new ReplicationSettings("s1", mine.listener(), mine.peerNetworks(),
        certificate, key, root.resolve("other-tls").resolve("ca.crt"), mine.credentials());
    Throwable refused = catchThrowable(() -> Sql.peer(primary.endpoint(), otherAuthority, false).close());

    // THEN only the first gets a session
    assertThat(refused).isInstanceOf(SQLException.class).hasMessageContaining("SSL");
  }

  @Test
  void aTruncatedOrCorruptBaseBackupFailsAndLeavesNoDataDirectory() throws Exception {
    // GIVEN a complete base backup, and a node that already holds a data directory of its own
    ReplicationNode primary = started(ReplicationNode.startPrimary(vertx, dir("p1"), settings("p1")));
    ByteArrayOutputStream backup = new ByteArrayOutputStream();
    primary.backupSource().write("s1", backup);
    byte[] complete = backup.toByteArray();
    Path own = dir("s1").resolve(BaseBackupSink.DATA);
    Files.createDirectories(own);
    Files.writeString(own.resolve("marker"), "this node's own");
    BaseBackupSink sink = ReplicationNode.sink(vertx, dir("s1"), settings("s1"), primary.endpoint());

    // WHEN the stream is cut short
    byte[] truncated = java.util.Arrays.copyOf(complete, complete.length / 2);
    Throwable cut = catchThrowable(() -> sink.restore(new ByteArrayInputStream(truncated)));

    // THEN the sink says so and nothing replaced or joined the node's data directory
    assertThat(cut).isInstanceOf(BaseBackupException.class).hasMessageContaining("ended early");
    assertUntouched(own);

    // WHEN one byte in the middle is flipped
    byte[] corrupt = complete.clone();
    corrupt[complete.length / 2] ^= 0x40;
    Throwable flipped = catchThrowable(() -> sink.restore(new ByteArrayInputStream(corrupt)));

    // THEN the digest gives it away
    assertThat(flipped).isInstanceOf(BaseBackupException.class).hasMessageContaining("corrupt");
    assertUntouched(own);

    // WHEN the stream is something else entirely
    Throwable other = catchThrowable(() -> sink.restore(new ByteArrayInputStream("GET / HTTP/1.1".getBytes())));
    assertThat(other).isInstanceOf(BaseBackupException.class).hasMessageContaining("not an Outpost base backup");
    assertUntouched(own);

    // AND the complete stream restores
    sink.restore(new ByteArrayInputStream(complete));
    assertThat(own.resolve("standby.signal")).exists();
    assertThat(own.resolve("backup_label")).content().contains("START WAL LOCATION");
  }

  private void assertUntouched(Path own) {
    assertThat(own.resolve("marker")).exists();
    assertThat(own.resolve("PG_VERSION")).doesNotExist();
    assertThat(own.getParent().resolve(BaseBackupSink.STAGING)).doesNotExist();
  }

  private ReplicationSettings settings(String name) {
    int port = ports.computeIfAbsent(name, n -> FreePorts.next());
    return new ReplicationSettings(name, new PeerListener(CLUSTER_ADDRESS, port), List.of("127.0.0.0/8"),
        certificate, key, authority, ReplicationCredentials.derive(SECRET));
  }

  private final java.util.Map<String, Integer> ports = new java.util.HashMap<>();

  private Path dir(String name) {
    return root.resolve(name).resolve("db");
  }

  private ReplicationNode clone(ReplicationNode primary, ReplicationSettings settings) throws Exception {
    return clone(primary, settings, primary.endpoint());
  }

  /** A base backup through a pipe between the source's and the sink's worker threads, then the standby's start. */
  private ReplicationNode clone(ReplicationNode primary, ReplicationSettings settings, PrimaryEndpoint via)
      throws Exception {
    Path dbDir = dir(settings.nodeName());
    PipedInputStream in = new PipedInputStream(1 << 20);
    PipedOutputStream out = new PipedOutputStream(in);
    Future<Void> received = ReplicationNode.sink(vertx, dbDir, settings, via).receive(in);
    BaseBackupSource.Summary sent = Await.join(primary.backupSource().send(settings.nodeName(), out)
        .andThen(done -> close(out)));
    Await.join(received);
    assertThat(sent.files()).isPositive();
    return started(ReplicationNode.startStandby(vertx, dbDir, settings, via));
  }

  /** A base backup carried as an HTTP request body between two Vert.x streams, as a site may carry it. */
  private void cloneOverHttp(ReplicationNode primary, Path dbDir, ReplicationSettings settings) throws Exception {
    BaseBackupSink sink = ReplicationNode.sink(vertx, dbDir, settings, primary.endpoint());
    HttpServer server = Await.join(vertx.createHttpServer().requestHandler(request -> sink.receive(request)
        .onComplete(done -> request.response().setStatusCode(done.succeeded() ? 204 : 500)
            .end(done.succeeded() ? "" : done.cause().toString())))
        .listen(0, "127.0.0.1"));
    HttpClient client = vertx.createHttpClient();
    String status = Await.join(client.request(HttpMethod.POST, server.actualPort(), "127.0.0.1", "/base-backup")
        .compose(request -> {
          request.setChunked(true);
          Future<io.vertx.core.http.HttpClientResponse> response = request.response();
          return primary.backupSource().send(settings.nodeName(), request).compose(sent -> response);
        })
        .compose(response -> response.body().map(body -> response.statusCode() + " " + body)));
    assertThat(status).isEqualTo("204 ");
    Await.join(client.close());
    Await.join(server.close());
  }

  private static void close(PipedOutputStream out) {
    try {
      out.close();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private TcpProxy proxy(ReplicationNode node) throws IOException {
    TcpProxy proxy = new TcpProxy(node.endpoint().port());
    closing.add(proxy);
    return proxy;
  }

  private ReplicationNode started(Future<ReplicationNode> starting) throws Exception {
    ReplicationNode node = Await.join(starting);
    nodes.add(node);
    return node;
  }

  private static Connection connect(ReplicationNode node) throws SQLException {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {node.database().port()});
    source.setDatabaseName("outpost");
    source.setUser("postgres");
    source.setPassword(node.database().connection().get("password"));
    return source.getConnection();
  }

  private static void execute(ReplicationNode node, String... statements) throws SQLException {
    try (Connection c = connect(node); Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  private static long count(ReplicationNode node, String query) {
    try (Connection c = connect(node); Statement s = c.createStatement(); ResultSet r = s.executeQuery(query)) {
      r.next();
      return r.getLong(1);
    } catch (SQLException e) {
      return -1; // not there yet (a standby still starting, a table not replayed yet)
    }
  }

  private static double gauge(SimpleMeterRegistry metrics, String name) {
    return metrics.get(name).gauge().value();
  }

  private static long streaming(ReplicationNode primary) {
    return count(primary, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'");
  }

  private static List<Integer> ids(ReplicationNode node) throws SQLException {
    List<Integer> ids = new ArrayList<>();
    try (Connection c = connect(node); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT id FROM events ORDER BY id")) {
      while (r.next()) {
        ids.add(r.getInt(1));
      }
    }
    return ids;
  }
}
