package dev.outpost.admin.impl;

import dev.outpost.admin.AuditConfig;
import dev.outpost.db.Database;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the audit log to syslog collectors in chain order, from a cursor the database keeps
 * ({@code audit_export_cursors}, row {@value #CURSOR}): a batch is read after the cursor and the cursor moves past it
 * only in the transaction that saw the collector confirm it. While no collector takes a batch, the entries wait in
 * the log itself and the same batch is tried again, less often the longer the outage lasts: nothing is lost across a
 * collector restart, a node restart or a database outage. Every node of a site runs this; the cursor's row lock lets
 * one of them deliver at a time, and another takes over when it stops.
 */
public final class SyslogExport {

  private static final Logger LOG = LoggerFactory.getLogger(SyslogExport.class);
  static final String CURSOR = "syslog";
  /** Most entries one delivery carries. */
  static final int BATCH = 500;
  /** How often the log is looked at for new entries while deliveries succeed. */
  static final Duration POLL = Duration.ofSeconds(1);
  /** Longest wait between two tries while no collector takes a delivery. */
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final Vertx vertx;
  private final Database db;
  private final AuditConfig.Syslog config;
  private final SyslogCollectors collectors;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong pending = new AtomicLong();
  private final Counter delivered;
  private final Counter failures;
  private volatile WorkerExecutor worker;
  private volatile boolean stopped;
  /** When the current outage began, or {@code null} while deliveries succeed. */
  private volatile Instant failingSince;
  private volatile long backoffMillis = POLL.toMillis();
  private volatile long timer = -1;

  SyslogExport(Vertx vertx, Database db, AuditConfig.Syslog config, SyslogCollectors collectors,
      MeterRegistry metrics) {
    this.vertx = Objects.requireNonNull(vertx);
    this.db = Objects.requireNonNull(db);
    this.config = Objects.requireNonNull(config);
    this.collectors = Objects.requireNonNull(collectors);
    Gauge.builder("outpost.audit.syslog.pending", pending, AtomicLong::get)
        .description("Audit entries not yet delivered to a syslog collector").register(metrics);
    this.delivered = Counter.builder("outpost.audit.syslog.delivered")
        .description("Audit entries delivered to a syslog collector").register(metrics);
    this.failures = Counter.builder("outpost.audit.syslog.failures")
        .description("Deliveries of audit entries that no syslog collector confirmed").register(metrics);
  }

  /** Starts delivering: now, then after each delivery or wait. Idempotent. */
  public void start() {
    if (running.compareAndSet(false, true)) {
      worker = vertx.createSharedWorkerExecutor("outpost-audit-syslog", 1);
      LOG.info("Delivering the audit log to syslog collector{} {} over TLS", collectors.addresses().size() == 1
          ? "" : "s", String.join(", ", collectors.addresses()));
      db.pool().preparedQuery("INSERT INTO audit_export_cursors(name) VALUES ($1) ON CONFLICT DO NOTHING")
          .execute(Tuple.of(CURSOR))
          .onComplete(ar -> schedule(0));
    }
  }

  /** Stops after the delivery under way, if any. */
  public void stop() {
    stopped = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    WorkerExecutor executor = worker;
    if (executor != null) {
      executor.close();
    }
  }

  private void schedule(long delayMillis) {
    if (stopped) {
      return;
    }
    timer = vertx.setTimer(Math.max(1, delayMillis), id -> round());
  }

  private void round() {
    db.transaction(this::deliverBatch)
        .onSuccess(count -> {
          recovered();
          // a full batch: more wait, go on at once
          schedule(count == BATCH ? 0 : POLL.toMillis());
        })
        .onFailure(e -> {
          failed(e);
          schedule(backoffMillis);
        });
  }

  /** One batch after the cursor, delivered, and the cursor moved past it; the future holds how many entries. */
  private Future<Integer> deliverBatch(SqlConnection conn) {
    return conn.preparedQuery("SELECT c.seq, h.seq AS head FROM audit_export_cursors c, audit_chain_head h "
            + "WHERE c.name = $1 FOR UPDATE OF c SKIP LOCKED")
        .execute(Tuple.of(CURSOR))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(0); // another node delivers now
          }
          Row cursor = rows.iterator().next();
          long after = cursor.getLong("seq");
          pending.set(Math.max(0, cursor.getLong("head") - after));
          return AuditExport.page(conn, after, BATCH)
              .compose(lines -> lines.isEmpty() ? Future.succeededFuture(0) : deliver(lines)
                  .compose(v -> advance(conn, lines.get(lines.size() - 1).getLong("position")))
                  .map(v -> {
                    pending.addAndGet(-lines.size());
                    delivered.increment(lines.size());
                    return lines.size();
                  }));
        });
  }

  private Future<String> deliver(List<JsonObject> lines) {
    List<byte[]> messages = lines.stream().map(line -> SyslogMessage.framed(line, config.facility())).toList();
    return worker.executeBlocking(() -> collectors.deliver(messages), false);
  }

  private Future<Void> advance(SqlConnection conn, long position) {
    return conn.preparedQuery("UPDATE audit_export_cursors SET seq = $2, delivered_at = $3 WHERE name = $1")
        .execute(Tuple.of(CURSOR, position, Instant.now().atOffset(ZoneOffset.UTC)))
        .mapEmpty();
  }

  private void recovered() {
    if (failingSince != null) {
      LOG.info("Audit entries reach the syslog collector again (deliveries failed since {})", failingSince);
      failingSince = null;
    }
    backoffMillis = POLL.toMillis();
  }

  private void failed(Throwable e) {
    failures.increment();
    if (failingSince == null) {
      failingSince = Instant.now();
      LOG.warn("Cannot deliver audit entries to syslog ({}); they wait in the audit log and are tried again",
          e.getMessage());
    } else {
      LOG.debug("Audit entries still not delivered to syslog: {}", e.getMessage());
    }
    backoffMillis = Math.min(MAX_BACKOFF.toMillis(), backoffMillis * 2);
  }
}
