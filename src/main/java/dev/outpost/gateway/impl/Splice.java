package dev.outpost.gateway.impl;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open stream: the client's end and the far end (the session host's socket, or the data channel of the
 * appliance that reaches it) piped both ways with back-pressure (each pipe pauses
 * its source while the destination's write queue is full, so no buffer grows without bound). The stream has no
 * half-close: when either side ends or fails, both are ended once their queued bytes are written. Closes
 * itself after the idle timeout without bytes in either direction.
 */
final class Splice {

  private static final Logger LOG = LoggerFactory.getLogger(Splice.class);

  /** One end of a stream, whatever carries it (a TCP or TLS socket, or a WebSocket). */
  interface End {
    ReadStream<Buffer> in();

    WriteStream<Buffer> out();

    /** Runs {@code handler} once when the client's connection is gone. */
    void onClose(Runnable handler);

    /** Ends the connection after its queued writes; {@code idle} tells why when the carrier can say. */
    void end(boolean idle);
  }

  private final Vertx vertx;
  private final String sessionId;
  private final End host;
  private final End client;
  private final GatewayMetrics metrics;
  private final SessionReports reports;
  private final Duration idleTimeout;
  private final long started = System.nanoTime();
  private long bytesUp;
  private long bytesDown;
  private volatile long lastActivity = System.nanoTime();
  private long idleTimer = -1;
  private boolean finished;
  private final io.vertx.core.Context context;
  private final Runnable onFinish;

  Splice(Vertx vertx, String sessionId, End host, End client, GatewayMetrics metrics,
      SessionReports reports, Duration idleTimeout, Runnable onFinish) {
    this.vertx = Objects.requireNonNull(vertx);
    this.context = vertx.getOrCreateContext();
    this.onFinish = Objects.requireNonNull(onFinish);
    this.sessionId = Objects.requireNonNull(sessionId);
    this.host = Objects.requireNonNull(host);
    this.client = Objects.requireNonNull(client);
    this.metrics = Objects.requireNonNull(metrics);
    this.reports = Objects.requireNonNull(reports);
    this.idleTimeout = Objects.requireNonNull(idleTimeout);
  }

  /**
   * Starts carrying bytes; {@code early} holds bytes the client sent right after its ticket, delivered to the
   * host first. Call on the client connection's context.
   */
  void start(Buffer early) {
    metrics.opened();
    reports.opened(sessionId);
    host.onClose(this::finish);
    client.onClose(this::finish);
    if (early != null && early.length() > 0) {
      countUp(early.length());
      host.out().write(early);
    }
    Future<Void> up = new CountingReadStream(client.in(), this::countUp).pipeTo(host.out());
    Future<Void> down = new CountingReadStream(host.in(), this::countDown).pipeTo(client.out());
    up.onComplete(ar -> finish());
    down.onComplete(ar -> finish());
    long period = Math.max(100, Math.min(idleTimeout.toMillis() / 4, 30_000));
    idleTimer = vertx.setPeriodic(period, id -> checkIdle());
  }

  private void countUp(int n) {
    bytesUp += n;
    metrics.up(n);
    lastActivity = System.nanoTime();
  }

  private void countDown(int n) {
    bytesDown += n;
    metrics.down(n);
    lastActivity = System.nanoTime();
  }

  private void checkIdle() {
    if (System.nanoTime() - lastActivity >= idleTimeout.toNanos()) {
      LOG.atInfo().addKeyValue("sessionId", sessionId).log("Closing gateway stream of session {}: idle for {}",
          sessionId, idleTimeout);
      client.end(true);
      host.end(true);
      finish();
    }
  }

  /** Ends the stream from any thread (the session was disconnected or logged off). */
  void cut() {
    context.runOnContext(v -> finish());
  }

  String sessionId() {
    return sessionId;
  }

  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    onFinish.run();
    vertx.cancelTimer(idleTimer);
    client.end(false);
    host.end(false);
    metrics.closed();
    reports.closed(sessionId);
    LOG.atInfo().addKeyValue("sessionId", sessionId).addKeyValue("bytesUp", bytesUp)
        .addKeyValue("bytesDown", bytesDown).addKeyValue("ms", (System.nanoTime() - started) / 1_000_000)
        .log("Gateway stream of session {} ended: {} bytes up, {} bytes down", sessionId, bytesUp, bytesDown);
  }
}
