package dev.outpost.db;

import dev.outpost.error.Failures;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the embedded PostgreSQL running without an operator: when its server process ends without being asked to
 * (killed, crashed), it is started again on the same data dir. Attempts are spaced by a back-off that doubles from
 * 1 s to at most 30 s, and it keeps growing while a restarted server dies again within a minute, so that a server
 * that cannot stay up is retried every 30 s rather than in a tight loop. Each death and each failed attempt is one
 * log line. Everything runs on one thread of its own, so a restart and {@link #stop()} never overlap: a stop waits
 * for an attempt under way (which gives up at once) and cancels the next one.
 */
final class PostmasterSupervisor {

  private static final Logger LOG = LoggerFactory.getLogger(PostmasterSupervisor.class);
  static final Duration FIRST_DELAY = Duration.ofSeconds(1);
  static final Duration MAX_DELAY = Duration.ofSeconds(30);
  /** A server that ran this long before it died was not crash-looping: its restart starts over at 1 s. */
  static final Duration STABLE_RUN = Duration.ofMinutes(1);

  /** Starts a server, on {@code port} when it is free; gives up when {@code abandon} turns true. */
  @FunctionalInterface
  interface Launcher {
    Postmaster launch(int port, BooleanSupplier abandon) throws IOException;
  }

  /** What the supervised server is doing; the metric {@code outpost_db_embedded_up} is 1 in RUNNING only. */
  enum State { RUNNING, RESTARTING, STOPPED }

  private final Launcher launcher;
  private final String logFile;
  private final ScheduledThreadPoolExecutor thread;
  private final AtomicLong restarts = new AtomicLong();
  private final AtomicLong failedAttempts = new AtomicLong();
  private volatile Postmaster current;
  private volatile State state = State.RUNNING;
  private volatile boolean stopping;
  /** Attempts since the server last ran for {@link #STABLE_RUN}; touched on the supervisor thread only. */
  private int attempts;
  private ScheduledFuture<?> next;

  /**
   * Supervises {@code running}, restarting it through {@code launcher}.
   *
   * @param logFile PostgreSQL's own log, named in the log lines
   */
  PostmasterSupervisor(Postmaster running, Launcher launcher, String logFile) {
    this.current = Objects.requireNonNull(running);
    this.launcher = Objects.requireNonNull(launcher);
    this.logFile = Objects.requireNonNull(logFile);
    this.thread = new ScheduledThreadPoolExecutor(1, task -> {
      Thread t = new Thread(task, "outpost-embedded-postgres-supervisor");
      t.setDaemon(true);
      return t;
    });
    thread.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    watch(running);
  }

  /** The delay before attempt {@code attempt} (1, 2, ...): 1 s doubling, never more than 30 s. */
  static Duration backoff(int attempt) {
    long seconds = FIRST_DELAY.toSeconds() << Math.min(Math.max(attempt - 1, 0), 20);
    return Duration.ofSeconds(Math.min(seconds, MAX_DELAY.toSeconds()));
  }

  /** The server running now, or the last one while it restarts. */
  Postmaster current() {
    return current;
  }

  State state() {
    return state;
  }

  /** Servers started again after one ended on its own. */
  long restarts() {
    return restarts.get();
  }

  /** Restart attempts that failed (each is retried after the back-off). */
  long failedAttempts() {
    return failedAttempts.get();
  }

  private void watch(Postmaster server) {
    server.exited().thenAccept(status -> {
      try {
        thread.execute(() -> exited(server, status));
      } catch (RejectedExecutionException e) {
        // stopped: the server ended because it was asked to
      }
    });
  }

  private void exited(Postmaster server, int status) {
    if (stopping || server != current) {
      return;
    }
    Duration ran = Duration.between(server.started(), Instant.now());
    if (ran.compareTo(STABLE_RUN) >= 0) {
      attempts = 0;
    }
    state = State.RESTARTING;
    Duration delay = backoff(attempts + 1);
    LOG.warn("The embedded PostgreSQL (pid {}) ended with status {} after {} s: restart attempt {} in {} s{}",
        server.pid(), status, ran.toSeconds(), attempts + 1, delay.toSeconds(), capped(delay));
    schedule(delay);
  }

  private void schedule(Duration delay) {
    next = thread.schedule(this::restart, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void restart() {
    if (stopping) {
      return;
    }
    attempts++;
    try {
      Postmaster server = launcher.launch(current.port(), () -> stopping);
      current = server;
      state = State.RUNNING;
      restarts.incrementAndGet();
      LOG.info("Restarted the embedded PostgreSQL on 127.0.0.1:{} (pid {}) at attempt {}", server.port(),
          server.pid(), attempts);
      watch(server);
    } catch (IOException | RuntimeException e) {
      if (stopping) {
        return;
      }
      failedAttempts.incrementAndGet();
      Duration delay = backoff(attempts + 1);
      LOG.warn("Restart attempt {} of the embedded PostgreSQL failed ({}): attempt {} in {} s{}", attempts,
          Failures.rootMessage(e), attempts + 1, delay.toSeconds(), capped(delay));
      schedule(delay);
    }
  }

  private String capped(Duration delay) {
    return delay.equals(MAX_DELAY) ? " (back-off capped at " + MAX_DELAY.toSeconds()
        + " s: the database stays down until PostgreSQL starts; its reason is in " + logFile + ")" : "";
  }

  /**
   * Stops supervising and stops the server: waits for a restart attempt under way to give up, cancels the next one,
   * then stops whatever runs. Blocking; idempotent.
   */
  void stop() {
    stopping = true;
    Future<?> stopped;
    try {
      stopped = thread.submit(() -> {
        if (next != null) {
          next.cancel(false);
        }
        state = State.STOPPED;
        current.stop();
      });
    } catch (RejectedExecutionException e) {
      return; // stopped before
    }
    thread.shutdown();
    try {
      stopped.get();
      thread.awaitTermination(1, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      LOG.warn("The embedded PostgreSQL did not stop cleanly: {}", Failures.rootMessage(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
