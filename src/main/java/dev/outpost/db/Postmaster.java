package dev.outpost.db;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of the embedded PostgreSQL server: a child process of this JVM, so that its end is known at once
 * ({@link #exited()}). It is ready when its own {@code postmaster.pid} says so; its port is never probed, because
 * another program may listen there (PostgreSQL then fails to bind and exits, which {@link #launch} reports as
 * {@link PortInUse}). Blocking.
 */
final class Postmaster {

  private static final Logger LOG = LoggerFactory.getLogger(Postmaster.class);
  private static final long POLL_MS = 50;
  /** Line 1 of {@code postmaster.pid} is the server's pid, line 4 its port, line 8 its state. */
  private static final int PID_LINE = 0;
  private static final int STATUS_LINE = 7;
  private static final Duration STOP_WAIT = Duration.ofSeconds(30);
  static final String LOOPBACK = "127.0.0.1";
  /** Line 8 of {@code postmaster.pid} once connections are accepted: a primary, or a hot standby. */
  private static final Set<String> READY = Set.of("ready", "standby");

  /** PostgreSQL could not listen on the port it was given: something else holds it. */
  static final class PortInUse extends IOException {
    private static final long serialVersionUID = 1L;

    PortInUse(int port, String log) {
      super("127.0.0.1:" + port + " is in use by another program (" + log + ")");
    }
  }

  private final Process process;
  private final PostgresBinaries binaries;
  private final Path pgData;
  private final int port;
  private final Instant started;

  private Postmaster(Process process, PostgresBinaries binaries, Path pgData, int port) {
    this.process = process;
    this.binaries = binaries;
    this.pgData = pgData;
    this.port = port;
    this.started = Instant.now();
  }

  /**
   * Starts the server on {@code pgData}, listening on 127.0.0.1:{@code port} only, and waits until it accepts
   * connections.
   *
   * @param abandon polled while waiting: when it turns true the server is stopped and the launch fails
   * @throws PortInUse when the port was taken
   * @throws IOException when the server exits or does not become ready within {@code wait}; the message carries
   *     PostgreSQL's own reason from its log
   */
  static Postmaster launch(PostgresBinaries binaries, Path pgData, int port, Path log, Duration wait,
      BooleanSupplier abandon) throws IOException {
    return launch(binaries, pgData, port, List.of(LOOPBACK), log, wait, abandon);
  }

  /**
   * Like {@link #launch(PostgresBinaries, Path, int, Path, Duration, BooleanSupplier)}, listening on each of
   * {@code addresses} (127.0.0.1 and the node's cluster address, for a replicated database).
   */
  static Postmaster launch(PostgresBinaries binaries, Path pgData, int port, List<String> addresses, Path log,
      Duration wait, BooleanSupplier abandon) throws IOException {
    long logStart = Files.exists(log) ? Files.size(log) : 0;
    List<String> args = new ArrayList<>(List.of("-D", pgData.toString(), "-p", Integer.toString(port)));
    // durable: fsync on and every commit on disk before it is acknowledged (zonky's test defaults turned both off,
    // which a power cut would have paid for with a corrupt or rolled-back database)
    String listen = "listen_addresses=" + String.join(",", addresses);
    for (String setting : List.of(listen, "unix_socket_directories=", "max_connections=100",
        "timezone=UTC", "fsync=on", "synchronous_commit=on")) {
      args.add("-c");
      args.add(setting);
    }
    Process process = new ProcessBuilder(binaries.command("postgres", args))
        .redirectInput(new File("/dev/null"))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    Postmaster server = new Postmaster(process, binaries, pgData, port);
    server.awaitReady(wait, abandon, log, logStart);
    return server;
  }

  private void awaitReady(Duration wait, BooleanSupplier abandon, Path log, long logStart) throws IOException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!ready()) {
      if (!process.isAlive()) {
        throw exitedDuringStart(log, logStart);
      }
      if (abandon.getAsBoolean() || System.nanoTime() > deadline) {
        stop();
        throw new IOException(abandon.getAsBoolean() ? "the node is stopping"
            : "PostgreSQL did not accept connections within " + wait.toSeconds() + " s (see " + log + ")");
      }
      try {
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop();
        throw new IOException("interrupted while PostgreSQL was starting", e);
      }
    }
  }

  /**
   * Whether {@code postmaster.pid} is this process's and says "ready", or "standby" for a hot standby (what
   * {@code pg_ctl -w} waits for).
   */
  private boolean ready() throws IOException {
    List<String> lines;
    try {
      lines = Files.readAllLines(pgData.resolve("postmaster.pid"), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return false;
    }
    return lines.size() > STATUS_LINE && lines.get(PID_LINE).strip().equals(Long.toString(process.pid()))
        && READY.contains(lines.get(STATUS_LINE).strip());
  }

  private IOException exitedDuringStart(Path log, long logStart) throws IOException {
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    String output = logSince(log, logStart);
    String reason = lastFatal(output);
    if (output.contains("Address already in use")) {
      return new PortInUse(port, reason);
    }
    return new IOException("PostgreSQL exited while starting (status " + process.exitValue() + "): " + reason);
  }

  private static String logSince(Path log, long offset) throws IOException {
    try (InputStream in = Files.newInputStream(log)) {
      in.skipNBytes(Math.min(offset, Files.size(log)));
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** PostgreSQL's reason for giving up: its last FATAL line, else its last line. */
  private static String lastFatal(String output) {
    List<String> lines = output.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    for (int i = lines.size() - 1; i >= 0; i--) {
      int at = lines.get(i).indexOf("FATAL:");
      if (at >= 0) {
        return lines.get(i).substring(at);
      }
    }
    return lines.isEmpty() ? "no output" : lines.get(lines.size() - 1);
  }

  long pid() {
    return process.pid();
  }

  int port() {
    return port;
  }

  Instant started() {
    return started;
  }

  boolean alive() {
    return process.isAlive();
  }

  /** Completes with the exit status when the server process ends, whoever ended it. */
  CompletableFuture<Integer> exited() {
    return process.onExit().thenApply(Process::exitValue);
  }

  /**
   * Stops the server the way {@code pg_ctl stop -m fast} does (sessions are ended, the data is flushed) and waits
   * for it; kills it only when it does not stop within 30 s.
   */
  void stop() {
    if (!process.isAlive()) {
      return;
    }
    try {
      if (!fastShutdown()) {
        process.destroy(); // SIGTERM: what stops a server too early in its start to have written its pid file
      }
      if (!process.waitFor(STOP_WAIT.toSeconds(), TimeUnit.SECONDS)) {
        LOG.warn("The embedded PostgreSQL (pid {}) did not stop within {} s: killing it", pid(),
            STOP_WAIT.toSeconds());
        process.destroyForcibly().waitFor(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private boolean fastShutdown() throws InterruptedException {
    try {
      Process pgCtl = new ProcessBuilder(binaries.command("pg_ctl", List.of("-D", pgData.toString(), "stop",
          "-m", "fast", "-w", "-t", Long.toString(STOP_WAIT.toSeconds()))))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .start();
      if (!pgCtl.waitFor(STOP_WAIT.toSeconds() + 5, TimeUnit.SECONDS)) {
        pgCtl.destroyForcibly();
        return false;
      }
      return pgCtl.exitValue() == 0;
    } catch (IOException e) {
      LOG.debug("Cannot run pg_ctl to stop the embedded PostgreSQL (pid {}): {}", pid(), e.getMessage());
      return false;
    }
  }
}
