package dev.outpost.db;

import dev.outpost.crypto.SecureFiles;
import dev.outpost.crypto.SecureTokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private PostgreSQL server kept under {@code <data-dir>/db}, started and stopped with the process. It
 * listens on loopback only and, after its first start, requires a password (SCRAM) that only the data dir
 * holds. Blocking: start it before the event loop or from a worker.
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
  static final String SUPERUSER = "postgres";

  private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
  private final String password;

  private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server, String password) {
    this.server = server;
    this.password = password;
  }

  /** Starts the server on a free loopback port, initialising the cluster on first use. */
  public static EmbeddedPostgres start(Path dbDir) throws IOException {
    Path pgData = dbDir.resolve("pgdata");
    Path passwordFile = dbDir.resolve("password");
    SecureFiles.createPrivateDirectories(dbDir);
    // zonky extracts the binaries once per JVM: a second database in the same JVM (tests) reuses the first one's
    // runtime directory while it exists and leaves its own empty, so make sure it is there either way
    Path runtime = dbDir.resolve("runtime");
    SecureFiles.createPrivateDirectories(runtime);
    stopOrphan(pgData);
    boolean secured = Files.exists(passwordFile) && Files.exists(pgData.resolve("PG_VERSION"));
    String password = secured ? Files.readString(passwordFile, StandardCharsets.UTF_8).trim() : null;
    var builder = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(pgData)
        .setCleanDataDirectory(false)
        .setRegisterShutdownHook(true)
        .setPGStartupWait(Duration.ofSeconds(60))
        .setOverrideWorkingDirectory(runtime.toFile())
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("max_connections", "100")
        .setServerConfig("unix_socket_directories", "")
        .setOutputRedirector(ProcessBuilder.Redirect.appendTo(dbDir.resolve("postgres.log").toFile()))
        .setErrorRedirector(ProcessBuilder.Redirect.appendTo(dbDir.resolve("postgres.log").toFile()));
    if (password != null) {
      builder.setConnectConfig("password", password);
    }
    long started = System.nanoTime();
    io.zonky.test.db.postgres.embedded.EmbeddedPostgres server = builder.start();
    try {
      // The extracted binaries need not be writable or readable by anyone else.
      Files.setPosixFilePermissions(runtime, PosixFilePermissions.fromString("rwx------"));
      if (password == null) {
        password = secure(server, pgData, passwordFile);
      }
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    LOG.info("Embedded PostgreSQL ready on 127.0.0.1:{} in {} ms (data in {})", server.getPort(),
        (System.nanoTime() - started) / 1_000_000, pgData);
    return new EmbeddedPostgres(server, password);
  }

  /**
   * Stops a server a previous start left running on this data dir: a process killed with SIGKILL cannot stop its
   * PostgreSQL, which then holds the data dir. The caller holds the data dir's lock, so no running Outpost owns it.
   */
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
  private static String secure(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server, Path pgData,
      Path passwordFile) throws IOException {
    String password = SecureTokens.random(24);
    Files.writeString(pgData.resolve("pg_hba.conf"), """
        # Written by Outpost: loopback only, password required.
        host all all 127.0.0.1/32 scram-sha-256
        host all all ::1/128 scram-sha-256
        """, StandardCharsets.UTF_8);
    try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
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

  public int port() {
    return server.getPort();
  }

  /** Connection settings for the Vert.x client. */
  public Map<String, String> connection() {
    return Map.of("host", "127.0.0.1", "port", Integer.toString(port()), "user", SUPERUSER, "password", password);
  }

  String password() {
    return password;
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
