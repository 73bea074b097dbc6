package dev.outpost.admin.impl;

import dev.outpost.admin.AuditConfig;
import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What makes the audit log evidence on a node: the entries from before the chain chained once, the chain's head
 * signed at {@code audit.checkpoint-interval}, and the log delivered to syslog collectors when configured.
 */
public final class AuditEvidence {

  private static final Logger LOG = LoggerFactory.getLogger(AuditEvidence.class);
  /** How soon a start that failed (the database did not answer) is tried again. */
  static final long RETRY_MILLIS = 10_000;

  private final Vertx vertx;
  private final AuditConfig config;
  private final EarlierEntries earlier;
  private final AuditCheckpoints checkpoints;
  private final Optional<SyslogExport> syslog;
  private final AuditVerifier verifier;
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile long timer = -1;

  private AuditEvidence(Vertx vertx, AuditConfig config, EarlierEntries earlier, AuditCheckpoints checkpoints,
      Optional<SyslogExport> syslog, AuditVerifier verifier) {
    this.vertx = vertx;
    this.config = config;
    this.earlier = earlier;
    this.checkpoints = checkpoints;
    this.syslog = syslog;
    this.verifier = verifier;
  }

  /**
   * @param secrets the key for stored secrets, which seals the signing key
   * @param node how checkpoints name the node that signed them
   * @throws IllegalStateException when the syslog collectors' CA file cannot be read (one line for the admin)
   */
  public static AuditEvidence create(Vertx vertx, Database db, SecretBox secrets, AuditConfig config,
      Supplier<String> node, MeterRegistry metrics) {
    Objects.requireNonNull(node);
    AuditCheckpoints checkpoints = new AuditCheckpoints(db, secrets, node, Clock.systemUTC());
    Optional<SyslogExport> syslog = config.syslog().map(settings -> new SyslogExport(vertx, db, settings,
        collectors(settings), metrics));
    return new AuditEvidence(Objects.requireNonNull(vertx), config, new EarlierEntries(vertx, db), checkpoints,
        syslog, new AuditVerifier(vertx, db, Optional.of(checkpoints)));
  }

  private static SyslogCollectors collectors(AuditConfig.Syslog settings) {
    try {
      return SyslogCollectors.of(settings);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("audit.syslog.ca-file: cannot trust the collectors' CA from "
          + settings.caFile().map(Object::toString).orElse("the Java runtime") + ": " + e.getMessage(), e);
    }
  }

  /**
   * Chains the earlier entries, loads (or makes) the signing key, then signs checkpoints and delivers to syslog from
   * now on. Once per node, whatever calls it again; timers belong to the caller's context.
   */
  public void start() {
    if (started.compareAndSet(false, true)) {
      begin();
    }
  }

  private void begin() {
    earlier.chain()
        .compose(v -> checkpoints.start())
        .onSuccess(v -> {
          timer = vertx.setPeriodic(config.checkpointInterval().toMillis(), id -> checkpoint());
          syslog.ifPresent(SyslogExport::start);
        })
        .onFailure(e -> {
          LOG.warn("The audit log's checkpoints and export start in {} s: {}", RETRY_MILLIS / 1000, e.getMessage());
          timer = vertx.setTimer(RETRY_MILLIS, id -> begin());
        });
  }

  /** Stops signing and delivering. */
  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    syslog.ifPresent(SyslogExport::stop);
  }

  /** Signs the chain's head now if it moved since the last checkpoint; the position signed, if any. */
  public Future<Optional<Long>> checkpoint() {
    return checkpoints.checkpoint()
        .onFailure(e -> LOG.warn("Could not sign a checkpoint of the audit log: {}", e.getMessage()));
  }

  public AuditVerifier verifier() {
    return verifier;
  }

  public AuditCheckpoints checkpoints() {
    return checkpoints;
  }
}
