package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import dev.outpost.db.Database;
import dev.outpost.db.DiskSpool;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Audit entries of actions that go on while PostgreSQL is down (an admin logs a session off, drains a host): written
 * at once while the database answers; otherwise kept in a {@link DiskSpool} and written when it answers again, also
 * after a restart, oldest first and once each (every entry carries an id the table keeps unique). Recording never
 * fails the action it records.
 */
public final class SpooledAudit {

  private static final Logger LOG = LoggerFactory.getLogger(SpooledAudit.class);
  /** How often a non-empty spool is tried against the database. */
  static final Duration RETRY = Duration.ofSeconds(1);

  private final Database db;
  private final AuditLog audit;
  private final DiskSpool spool;
  private final Clock clock;

  public SpooledAudit(Database db, AuditLog audit, DiskSpool spool, Clock clock) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.spool = Objects.requireNonNull(spool);
    this.clock = Objects.requireNonNull(clock);
  }

  /** Writes what an earlier run left in the spool and keeps trying while it is not empty; idempotent. */
  public void start() {
    spool.replayEvery(RETRY, spooled -> db.transaction(conn -> audit.insert(conn, entries(spooled))));
  }

  /** Records one entry: in the database, or in the spool while the database cannot take it. Never fails. */
  public Future<Void> record(Actor actor, String action, String targetType, String targetId, String targetName,
      JsonObject detail) {
    AuditLog.Entry entry = AuditLog.Entry.of(actor, clock.instant(), action, targetType, targetId, targetName, detail);
    if (!spool.isEmpty() || spool.replaying()) {
      return toSpool(entry); // behind the older entries waiting on disk, so that the log keeps their order
    }
    return db.transaction(conn -> audit.insert(conn, List.of(entry))).recover(e -> toSpool(entry));
  }

  private Future<Void> toSpool(AuditLog.Entry entry) {
    return spool.append(List.of(entry.toJson()))
        .<Void>mapEmpty()
        .recover(e -> {
          LOG.error("Audit entry {} of {} ({}) is lost: the database cannot be reached and {} cannot be written: {}",
              entry.id(), entry.action(), entry.targetId(), spool.file(), e.getMessage());
          return Future.succeededFuture();
        });
  }

  /** The audit entries of spooled JSON; one that is not (a damaged file) is skipped with a warning. */
  private List<AuditLog.Entry> entries(List<JsonObject> spooled) {
    List<AuditLog.Entry> entries = new ArrayList<>(spooled.size());
    for (JsonObject json : spooled) {
      try {
        entries.add(AuditLog.Entry.fromJson(json));
      } catch (RuntimeException e) {
        LOG.warn("Skipping a damaged entry of {}: {}", spool.file(), e.getMessage());
      }
    }
    return entries;
  }
}
