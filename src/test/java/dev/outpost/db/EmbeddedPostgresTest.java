package dev.outpost.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.outpost.error.Failures;
import dev.outpost.testing.Poll;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL on its own, as a real server: where it listens when its port is taken, and how it is kept
 * running when its server process is killed.
 */
class EmbeddedPostgresTest {

  /** One directory for the class, so that its tests share one copy of the unpacked binaries. */
  @TempDir
  static Path shared;

  private final List<AutoCloseable> resources = new ArrayList<>();
  private final ListAppender<ILoggingEvent> supervisorLog = new ListAppender<>();
  private Path dbDir;

  @BeforeEach
  void setUp(TestInfo test) {
    dbDir = shared.resolve(test.getTestMethod().orElseThrow().getName()).resolve("db");
    supervisorLog.start();
    ((Logger) LoggerFactory.getLogger(PostmasterSupervisor.class)).addAppender(supervisorLog);
  }

  @AfterEach
  void tearDown() throws Exception {
    ((Logger) LoggerFactory.getLogger(PostmasterSupervisor.class)).detachAppender(supervisorLog);
    java.util.Collections.reverse(resources);
    for (AutoCloseable resource : resources) {
      resource.close();
    }
  }

  @Test
  void aPortTakenByAnotherProgramIsLeftForAFreeOneWithoutTalkingToThatProgram() throws Exception {
    // GIVEN another program listening on the port the database would take (as the node's cluster member did)
    Listener other = closing(new Listener());

    // WHEN the database starts and that port is the first it tries
    EmbeddedPostgres db = closing(EmbeddedPostgres.start(dbDir, ports(other.port())));

    // THEN it listens on another port and answers there; the other program was never connected to
    assertThat(db.port()).isNotEqualTo(other.port());
    assertThat(query(db, "SELECT 1")).isEqualTo("1");
    assertThat(other.connections()).isZero();
    assertThat(Files.readString(dbDir.resolve("postgres.log"))).contains("Address already in use");
  }

  @Test
  void whenEveryPortItTriesIsTakenTheStartFailsNamingThemAndLeavesNoServer() throws Exception {
    // GIVEN programs listening on every port the database will try
    List<Listener> others = new ArrayList<>();
    for (int i = 0; i < EmbeddedPostgres.PORT_ATTEMPTS; i++) {
      others.add(closing(new Listener()));
    }

    // WHEN it starts
    Iterator<Listener> next = others.iterator();
    Throwable failure = catchThrowable(() -> EmbeddedPostgres.start(dbDir, () -> next.next().port()));

    // THEN it fails with one clear line naming each port taken, also as the start-up error reports it
    assertThat(failure).isInstanceOf(IOException.class);
    assertThat(Failures.rootMessage(failure))
        .startsWith("no free port on 127.0.0.1 for the embedded PostgreSQL: other programs took [")
        .contains(Integer.toString(others.get(0).port()))
        .contains(Integer.toString(others.get(EmbeddedPostgres.PORT_ATTEMPTS - 1).port()));
    // AND no server is left running on the data dir
    assertThat(serversOn(dbDir)).isEmpty();
  }

  @Test
  void aKilledServerIsRestartedOnTheSameDataAndPortAndCounted() throws Exception {
    // GIVEN a running database holding a committed row, and its metrics
    EmbeddedPostgres db = closing(EmbeddedPostgres.start(dbDir));
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    db.bindMetrics(metrics);
    update(db, "CREATE TABLE kept (v text)", "INSERT INTO kept VALUES ('before the kill')");
    long pid = postmasterPid(dbDir);
    int port = db.port();

    // WHEN its server process is killed with SIGKILL
    ProcessHandle.of(pid).orElseThrow().destroyForcibly();

    // THEN a new server runs on the same data dir and port, with the row, and the restart is counted once
    Poll.until("the database is restarted", Duration.ofSeconds(60), () -> db.running() && db.restarts() == 1);
    assertThat(postmasterPid(dbDir)).isNotEqualTo(pid).isEqualTo(db.pid());
    assertThat(db.port()).isEqualTo(port);
    assertThat(query(db, "SELECT v FROM kept")).isEqualTo("before the kill");
    assertThat(metrics.get("outpost.db.embedded.restarts").functionCounter().count()).isEqualTo(1);
    assertThat(metrics.get("outpost.db.embedded.up").gauge().value()).isEqualTo(1);
    // AND the death was one warning line that says when the restart comes
    assertThat(messages()).anyMatch(line -> line.startsWith("The embedded PostgreSQL (pid " + pid + ") ended with")
        && line.endsWith("restart attempt 1 in 1 s"));
  }

  @Test
  void aServerThatDiesAgainSoonAfterItsRestartWaitsLongerEachTime() throws Exception {
    // GIVEN a database whose server was killed and restarted
    EmbeddedPostgres db = closing(EmbeddedPostgres.start(dbDir));
    ProcessHandle.of(postmasterPid(dbDir)).orElseThrow().destroyForcibly();
    Poll.until("the first restart", Duration.ofSeconds(60), () -> db.running() && db.restarts() == 1);

    // WHEN the restarted server is killed again at once (a crash loop)
    long second = postmasterPid(dbDir);
    ProcessHandle.of(second).orElseThrow().destroyForcibly();

    // THEN the next restart waits twice as long, and says so, instead of starting again at once
    Poll.until("the second restart", Duration.ofSeconds(60), () -> db.running() && db.restarts() == 2);
    assertThat(messages()).anyMatch(line -> line.startsWith("The embedded PostgreSQL (pid " + second + ") ended with")
        && line.endsWith("restart attempt 2 in 2 s"));
  }

  @Test
  void closingWhileARestartIsPendingLeavesNoServerRunning() throws Exception {
    // GIVEN a database whose server was killed, its restart not yet made
    EmbeddedPostgres db = EmbeddedPostgres.start(dbDir);
    ProcessHandle.of(postmasterPid(dbDir)).orElseThrow().destroyForcibly();
    Poll.until("the supervisor notices", Duration.ofSeconds(30), () -> !db.running());

    // WHEN it is closed (the node stops)
    db.close();

    // THEN no server runs on the data dir, and none is started any more
    assertThat(serversOn(dbDir)).isEmpty();
    assertThat(db.running()).isFalse();
  }

  @Test
  void aServerLeftRunningOnTheDataDirIsStoppedBeforeTheStart() throws Exception {
    // GIVEN a server that an earlier process started on this data dir and could not stop (it was killed)
    EmbeddedPostgres.start(dbDir).close();
    Postmaster orphan = Postmaster.launch(PostgresBinaries.unpack(dbDir.resolve("runtime")), dbDir.resolve("pgdata"),
        EmbeddedPostgres.freeLoopbackPort(), dbDir.resolve("postgres.log"), EmbeddedPostgres.STARTUP_WAIT, () -> false);

    // WHEN the database starts on that data dir
    EmbeddedPostgres db = closing(EmbeddedPostgres.start(dbDir));

    // THEN the old server is gone and the new one serves
    assertThat(orphan.alive()).isFalse();
    assertThat(db.pid()).isNotEqualTo(orphan.pid());
    assertThat(query(db, "SELECT 1")).isEqualTo("1");
  }

  private <T extends AutoCloseable> T closing(T resource) {
    resources.add(resource);
    return resource;
  }

  private List<String> messages() {
    return supervisorLog.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  /** A port source that offers {@code first}, then free ports. */
  private static EmbeddedPostgres.PortSource ports(int first) {
    AtomicInteger calls = new AtomicInteger();
    return () -> calls.getAndIncrement() == 0 ? first : EmbeddedPostgres.freeLoopbackPort();
  }

  /** The pid PostgreSQL wrote in the first line of {@code postmaster.pid}. */
  private static long postmasterPid(Path dbDir) throws IOException {
    return Long.parseLong(Files.readAllLines(dbDir.resolve("pgdata/postmaster.pid"), StandardCharsets.UTF_8).get(0)
        .strip());
  }

  /** Live PostgreSQL processes serving {@code dbDir}'s data. */
  private static List<ProcessHandle> serversOn(Path dbDir) {
    String pgData = dbDir.resolve("pgdata").toString();
    return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
        .filter(p -> p.info().commandLine().map(c -> c.contains("postgres") && c.contains(pgData)).orElse(false))
        .toList();
  }

  private static String query(EmbeddedPostgres db, String sql) throws SQLException {
    try (Connection c = connect(db); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** Runs {@code statements} with a commit that waits for the WAL, so that a kill right after cannot lose them. */
  private static void update(EmbeddedPostgres db, String... statements) throws SQLException {
    try (Connection c = connect(db); Statement s = c.createStatement()) {
      s.execute("SET synchronous_commit = on");
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }

  private static Connection connect(EmbeddedPostgres db) throws SQLException {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {db.port()});
    source.setDatabaseName("postgres");
    source.setUser(EmbeddedPostgres.SUPERUSER);
    source.setPassword(db.password());
    return source.getConnection();
  }

  /** Another program on a loopback port: it counts and drops every connection, as a cluster member would. */
  private static final class Listener implements AutoCloseable {
    private final ServerSocket socket;
    private final AtomicInteger connections = new AtomicInteger();

    Listener() throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      Thread acceptor = new Thread(this::accept, "test-listener-" + socket.getLocalPort());
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void accept() {
      while (!socket.isClosed()) {
        try {
          Socket connection = socket.accept();
          connections.incrementAndGet();
          connection.close();
        } catch (IOException e) {
          if (!socket.isClosed()) {
            throw new UncheckedIOException(e);
          }
        }
      }
    }

    int port() {
      return socket.getLocalPort();
    }

    int connections() {
      return connections.get();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
