package dev.outpost.db;

import dev.outpost.crypto.SecureFiles;
import dev.outpost.crypto.SecureTokens;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private PostgreSQL server kept under {@code <data-dir>/db}, started and stopped with the process, and started
 * again by a {@link PostmasterSupervisor} when it ends on its own. It listens on a loopback port only and, after
 * its first start, requires a password (SCRAM) that only the data dir holds. Blocking: start it before the event
 * loop or from a worker.
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
  static final String SUPERUSER = "postgres";
  static final Duration STARTUP_WAIT = Duration.ofSeconds(60);
  /** Ports tried at one start when other programs take them between our pick and PostgreSQL's bind. */
  static final int PORT_ATTEMPTS = 5;

  /** Where the next start may listen: a loopback port that is free when asked. */
  @FunctionalInterface
  interface PortSource {
    int next() throws IOException;
  }

  private final PostmasterSupervisor supervisor;
  private final Path dbDir;
  private final Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile String password;

  private EmbeddedPostgres(PostmasterSupervisor supervisor, Path dbDir, String password) {
    this.supervisor = supervisor;
    this.dbDir = dbDir;
    this.password = password;
    // a JVM that exits without closing the node (an unhandled error) must not leave the server running
    this.shutdownHook = new Thread(this::close, "outpost-embedded-postgres-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
  }

  /** Starts the server on a free loopback port, initialising the cluster on first use. */
  public static EmbeddedPostgres start(Path dbDir) throws IOException {
    return start(dbDir, Set.of());
  }

  /**
   * Like {@link #start(Path)}, never on one of {@code reserved}: the ports the node's own listeners are configured
   * with, which they may bind only after this start picked its port.
   */
  public static EmbeddedPostgres start(Path dbDir, Set<Integer> reserved) throws IOException {
    return start(dbDir, () -> freeLoopbackPort(reserved));
  }

  /**
   * Like {@link #start(Path)}, listening on {@code listener}'s address and port as well as on 127.0.0.1 (same port),
   * for a database that the site's other nodes replicate or use. A data dir holding {@code standby.signal} starts
   * as a hot standby.
   */
  public static EmbeddedPostgres start(Path dbDir, PeerListener listener) throws IOException {
    List<String> addresses = listener.address().equals(Postmaster.LOOPBACK) ? List.of(Postmaster.LOOPBACK)
        : List.of(Postmaster.LOOPBACK, listener.address());
    return start(dbDir, () -> listener.port(), addresses);
  }

  /** Like {@link #start(Path)}, taking the ports to try from {@code ports}. */
  static EmbeddedPostgres start(Path dbDir, PortSource ports) throws IOException {
    return start(dbDir, ports, List.of(Postmaster.LOOPBACK));
  }

  private static EmbeddedPostgres start(Path dbDir, PortSource ports, List<String> addresses) throws IOException {
    Path pgData = dbDir.resolve("pgdata");
    Path passwordFile = dbDir.resolve("password");
    Path log = dbDir.resolve("postgres.log");
    SecureFiles.createPrivateDirectories(dbDir);
    Path runtime = dbDir.resolve("runtime");
    SecureFiles.createPrivateDirectories(runtime);
    stopOrphan(pgData);
    PostgresBinaries binaries = PostgresBinaries.unpack(runtime);
    // The extracted binaries need not be writable or readable by anyone else.
    Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
    boolean secured = Files.exists(passwordFile) && Files.exists(pgData.resolve("PG_VERSION"));
    String password = secured ? Files.readString(passwordFile, StandardCharsets.UTF_8).trim() : null;
    if (!Files.exists(pgData.resolve("postgresql.conf"))) {
      initdb(binaries, pgData, log);
    }
    long started = System.nanoTime();
    PostmasterSupervisor.Launcher launcher = (port, abandon) -> launch(binaries, pgData, log, ports, addresses, port,
        abandon);
    Postmaster server = launcher.launch(0, () -> false);
    try {
      if (password == null) {
        password = secure(server.port(), pgData, passwordFile);
      }
    } catch (IOException | RuntimeException e) {
      server.stop();
      throw e;
    }
    LOG.info("Embedded PostgreSQL ready on {} port {} in {} ms (data in {})", String.join(", ", addresses),
        server.port(), (System.nanoTime() - started) / 1_000_000, pgData);
    return new EmbeddedPostgres(new PostmasterSupervisor(server, launcher, log.toString()), dbDir, password);
  }

  /**
   * Starts the server on {@code port} (0: any), or on another free port when another program holds that one, up to
   * {@link #PORT_ATTEMPTS} ports: the port is picked before PostgreSQL binds it, and a program starting meanwhile
   * (the node's own cluster member, in the worst case) can take it first.
   */
  private static Postmaster launch(PostgresBinaries binaries, Path pgData, Path log, PortSource ports,
      List<String> addresses, int port, BooleanSupplier abandon) throws IOException {
    List<Integer> taken = new ArrayList<>();
    int next = port > 0 ? port : ports.next();
    while (true) {
      try {
        return Postmaster.launch(binaries, pgData, next, addresses, log, STARTUP_WAIT, abandon);
      } catch (Postmaster.PortInUse e) {
        taken.add(next);
        if (taken.size() >= PORT_ATTEMPTS) {
          // not the cause: callers report the innermost message, and this one is the whole story
          IOException none = new IOException("no free port on 127.0.0.1 for the embedded PostgreSQL: other programs "
              + "took " + taken + " as it started");
          none.addSuppressed(e);
          throw none;
        }
        LOG.warn("The embedded PostgreSQL cannot listen on 127.0.0.1:{}: another program took the port; "
            + "trying another", next);
        next = ports.next();
      }
    }
  }

  /** A port that nothing listens on right now, chosen by the kernel as for any client socket. */
  static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }

  /** A free loopback port that is none of {@code reserved}. */
  static int freeLoopbackPort(Set<Integer> reserved) throws IOException {
    for (int tries = 0; tries < 100; tries++) {
      int port = freeLoopbackPort();
      if (!reserved.contains(port)) {
        return port;
      }
    }
    throw new IOException("the kernel offers only the node's own ports " + reserved + " on 127.0.0.1");
  }

  private static void initdb(PostgresBinaries binaries, Path pgData, Path log) throws IOException {
    long started = System.nanoTime();
    Files.createDirectories(pgData);
    Process initdb = new ProcessBuilder(binaries.command("initdb", List.of("-A", "trust", "-U", SUPERUSER,
        "-D", pgData.toString(), "-E", "UTF-8")))
        .redirectInput(new java.io.File("/dev/null"))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    try {
      if (initdb.waitFor() != 0) {
        throw new IOException("initdb failed with status " + initdb.exitValue() + " (see " + log + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      initdb.destroyForcibly();
      throw new IOException("interrupted while initdb ran", e);
    }
    LOG.info("Initialised the embedded database in {} in {} ms", pgData, (System.nanoTime() - started) / 1_000_000);
  }

  /**
   * Stops a server a previous start left running on this data dir: a process killed with SIGKILL cannot stop its
   * PostgreSQL, which then holds the data dir. The caller holds the data dir's lock, so no running Outpost owns it.
   */
  /**
   * Stops a PostgreSQL that a previous start of this node left running on {@code dbDir} (the node was killed), before
   * its data is assessed or replaced. Blocking; the caller holds the data dir's lock.
   */
  public static void stopLeftover(Path dbDir) throws IOException {
    stopOrphan(dbDir.resolve("pgdata"));
  }

  private static void stopOrphan(Path pgData) throws IOException {
    Path pidFile = pgData.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readAllLines(pidFile, StandardCharsets.UTF_8).get(0).trim());
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      return; // not a pid file PostgreSQL would honour either
    }
    // only a postgres serving this very data dir: the pid may have been reused by something else since
    var orphan = ProcessHandle.of(pid).filter(p -> p.info().commandLine()
        .map(c -> c.contains("postgres") && c.contains(pgData.toString())).orElse(false));
    if (orphan.isEmpty()) {
      return;
    }
    LOG.warn("Stopping the embedded PostgreSQL (pid {}) that a previous start left running on {}", pid, pgData);
    orphan.get().destroy(); // SIGTERM: its clients died with that start, so it stops at once
    try {
      orphan.get().onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      orphan.get().destroyForcibly();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("cannot stop the PostgreSQL left running on " + pgData, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while stopping the PostgreSQL left running on " + pgData, e);
    }
  }

  /** Sets a random superuser password and switches authentication from trust to SCRAM. */
  private static String secure(int port, Path pgData, Path passwordFile) throws IOException {
    String password = SecureTokens.random(24);
    Files.writeString(pgData.resolve("pg_hba.conf"), """
        # Written by Outpost: loopback only, password required.
        host all all 127.0.0.1/32 scram-sha-256
        host all all ::1/128 scram-sha-256
        """, StandardCharsets.UTF_8);
    PGSimpleDataSource trust = new PGSimpleDataSource();
    trust.setServerNames(new String[] {"127.0.0.1"});
    trust.setPortNumbers(new int[] {port});
    trust.setDatabaseName("postgres");
    trust.setUser(SUPERUSER);
    try (Connection c = trust.getConnection(); Statement s = c.createStatement()) {
      s.execute("SET password_encryption = 'scram-sha-256'");
      s.execute("ALTER USER " + SUPERUSER + " PASSWORD '" + password + "'");
      s.execute("SELECT pg_reload_conf()");
    } catch (SQLException e) {
      throw new IOException("cannot secure the embedded database: " + e.getMessage(), e);
    }
    SecureFiles.writePrivate(passwordFile, password);
    return password;
  }

  /**
   * The port of the server a running node started in {@code dbDir}, from PostgreSQL's {@code postmaster.pid}
   * (its fourth line).
   *
   * @throws IOException when no server runs there
   */
  public static int runningPort(Path dbDir) throws IOException {
    Path pid = dbDir.resolve("pgdata").resolve("postmaster.pid");
    if (!Files.exists(pid)) {
      throw new IOException("no embedded PostgreSQL runs in " + dbDir + " (no postmaster.pid)");
    }
    List<String> lines = Files.readAllLines(pid, StandardCharsets.UTF_8);
    try {
      return Integer.parseInt(lines.get(3).strip());
    } catch (IndexOutOfBoundsException | NumberFormatException e) {
      throw new IOException("cannot read the port of the embedded PostgreSQL from " + pid);
    }
  }

  /** The superuser password kept in {@code dbDir}. */
  static String password(Path dbDir) throws IOException {
    return Files.readString(dbDir.resolve("password"), StandardCharsets.UTF_8).trim();
  }

  /**
   * Records {@code password} as the superuser password of the data dir in {@code dbDir}, for a data dir copied from
   * another node (whose superuser password it holds), before it is started.
   */
  public static void adoptPassword(Path dbDir, String password) throws IOException {
    SecureFiles.createPrivateDirectories(dbDir);
    SecureFiles.writePrivate(dbDir.resolve("password"), password);
  }

  /**
   * Sets the superuser's password to {@code newPassword} and keeps it in the data dir, so that every node of a
   * replicated site knows the superuser password of the data its database holds. Blocking; a primary only.
   */
  public void changePassword(String newPassword) throws IOException {
    if (newPassword.equals(password)) {
      return;
    }
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {Postmaster.LOOPBACK});
    source.setPortNumbers(new int[] {port()});
    source.setDatabaseName("postgres");
    source.setUser(SUPERUSER);
    source.setPassword(password);
    try (Connection c = source.getConnection(); Statement s = c.createStatement()) {
      s.execute("SET password_encryption = 'scram-sha-256'");
      s.execute("ALTER USER " + SUPERUSER + " PASSWORD '" + newPassword.replace("'", "''") + "'");
    } catch (SQLException e) {
      throw new IOException("cannot change the superuser password of the embedded database: " + e.getMessage(), e);
    }
    adoptPassword(dbDir, newPassword);
    password = newPassword;
  }

  /** The server's data directory ({@code <db-dir>/pgdata}). */
  public Path dataDirectory() {
    return dbDir.resolve("pgdata");
  }

  /** The superuser's name, for connections from this host. */
  public static String superuser() {
    return SUPERUSER;
  }

  /** The port the server listens on now; it may change when the server is restarted and its port was taken. */
  public int port() {
    return supervisor.current().port();
  }

  /** The running server's process id. */
  public long pid() {
    return supervisor.current().pid();
  }

  /** Whether the server runs (false while it is being restarted, and after {@link #close()}). */
  public boolean running() {
    return supervisor.state() == PostmasterSupervisor.State.RUNNING;
  }

  /** How many times the server was started again after it ended on its own. */
  public long restarts() {
    return supervisor.restarts();
  }

  /** Connection settings for the Vert.x client. */
  public Map<String, String> connection() {
    return Map.of("host", "127.0.0.1", "port", Integer.toString(port()), "user", SUPERUSER, "password", password);
  }

  String password() {
    return password;
  }

  /**
   * Publishes the supervision in {@code registry}: {@code outpost_db_embedded_up} (1 while the server runs, 0 while
   * it is restarted), {@code outpost_db_embedded_restarts_total} and
   * {@code outpost_db_embedded_restart_failures_total}.
   */
  public void bindMetrics(MeterRegistry registry) {
    Gauge.builder("outpost.db.embedded.up", this, db -> db.running() ? 1 : 0)
        .description("1 while the embedded PostgreSQL runs, 0 while it is being restarted").register(registry);
    FunctionCounter.builder("outpost.db.embedded.restarts", supervisor, PostmasterSupervisor::restarts)
        .description("Times the embedded PostgreSQL was started again after it ended on its own")
        .register(registry);
    FunctionCounter.builder("outpost.db.embedded.restart.failures", supervisor, PostmasterSupervisor::failedAttempts)
        .description("Restart attempts of the embedded PostgreSQL that failed (each is retried after a back-off)")
        .register(registry);
  }

  /** Stops supervising and stops the server; a restart under way gives up first. Idempotent. */
  @Override
  public void close() {
    if (closed.getAndSet(true)) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is exiting: this may be the hook itself
    }
    supervisor.stop();
  }
}
