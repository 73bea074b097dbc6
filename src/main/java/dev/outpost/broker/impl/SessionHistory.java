package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.db.Database;
import dev.outpost.db.DiskSpool;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes session history behind the broker: changes are coalesced per session and flushed in batches, so
 * that a launch never waits on PostgreSQL. When the database is down, a batch that could not be written goes to
 * a spool file on disk ({@code data-dir/spool/session-history.jsonl}, one change per line), which is written to the
 * database once it answers again — also after a restart (a {@link DiskSpool}, bounded like every spool). Beyond
 * {@link #MAX_PENDING} sessions in memory the oldest changes are dropped with a warning (the live state is not
 * affected). Used on the broker's context only.
 */
final class SessionHistory {

  private static final Logger LOG = LoggerFactory.getLogger(SessionHistory.class);
  static final int MAX_PENDING = 200_000;
  private static final long FLUSH_MS = 250;
  private static final int BATCH = 1_000;
  /** Names as they were, for admins reading the history later; a change spooled by an older version has no pool. */
  private static final String UPSERT = """
      INSERT INTO session_history(id, user_id, username, resource_id, host_id, state, created_at, updated_at, ended_at,
        resource_name, host_name, pool_id, pool_name, end_reason)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
      ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
        ended_at = excluded.ended_at, end_reason = excluded.end_reason,
        pool_id = coalesce(excluded.pool_id, session_history.pool_id),
        pool_name = coalesce(excluded.pool_name, session_history.pool_name)
      WHERE session_history.updated_at <= excluded.updated_at""";

  private final Database db;
  private final DiskSpool spool;
  private final Map<String, SessionView> pending = new LinkedHashMap<>();
  private boolean flushing;
  private long dropped;

  /** @param spool where changes wait while the database cannot be reached */
  SessionHistory(Database db, DiskSpool spool) {
    this.db = db;
    this.spool = spool;
  }

  void start(Vertx vertx) {
    vertx.setPeriodic(FLUSH_MS, id -> flush());
  }

  void record(SessionView session) {
    pending.remove(session.id());
    pending.put(session.id(), session);
    if (pending.size() > MAX_PENDING) {
      var oldest = pending.keySet().iterator();
      oldest.next();
      oldest.remove();
      if (dropped++ % 10_000 == 0) {
        LOG.warn("Session history backlog is full ({} sessions): dropping the oldest changes", MAX_PENDING);
      }
    }
  }

  Future<Void> flush() {
    if (flushing || pending.isEmpty() && spool.isEmpty()) {
      return Future.succeededFuture();
    }
    flushing = true;
    // the spool holds older changes than memory: it goes first, and while it cannot, memory joins it on disk
    Future<Void> older = spool.isEmpty() ? Future.succeededFuture()
        : replaySpool().recover(e -> Future.succeededFuture());
    return older
        .compose(v -> spool.isEmpty() ? writeOrSpool(take(BATCH)) : toSpool(take(Integer.MAX_VALUE)))
        .onComplete(ar -> flushing = false);
  }

  /** Takes up to {@code max} of the oldest pending changes out of memory. */
  private List<SessionView> take(int max) {
    List<SessionView> batch = new ArrayList<>(Math.min(max, pending.size()));
    var it = pending.values().iterator();
    while (it.hasNext() && batch.size() < max) {
      batch.add(it.next());
      it.remove();
    }
    return batch;
  }

  private Future<Void> writeOrSpool(List<SessionView> batch) {
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    return write(batch).recover(e -> {
      LOG.debug("Session history not written yet: {}", e.getMessage());
      return toSpool(batch);
    });
  }

  /** Keeps a batch on disk until the database answers; on a disk failure keeps it in memory instead. */
  private Future<Void> toSpool(List<SessionView> batch) {
    if (batch.isEmpty()) {
      return Future.succeededFuture();
    }
    return spool.append(batch.stream().map(SessionView::toJson).toList()).<Void>mapEmpty().recover(e -> {
      LOG.warn("Cannot spool session history to {} ({}); keeping it in memory", spool.file(), e.getMessage());
      batch.forEach(s -> pending.putIfAbsent(s.id(), s));
      return Future.succeededFuture();
    });
  }

  /** Writes the spooled changes (oldest first, newest per session wins) and removes them from the spool. */
  private Future<Void> replaySpool() {
    return spool.replay(this::writeSpooled).onSuccess(written -> {
      if (written > 0) {
        LOG.info("The database answers again: wrote {} spooled session history change(s)", written);
      }
    }).onFailure(e -> LOG.debug("Spooled session history not written yet: {}", e.getMessage())).mapEmpty();
  }

  private Future<?> writeSpooled(List<JsonObject> spooled) {
    Map<String, SessionView> latest = new LinkedHashMap<>();
    for (JsonObject json : spooled) {
      SessionView view = SessionView.fromJson(json);
      latest.remove(view.id());
      latest.put(view.id(), view);
    }
    List<SessionView> views = new ArrayList<>(latest.values());
    List<Future<?>> batches = new ArrayList<>();
    for (int from = 0; from < views.size(); from += BATCH) {
      batches.add(write(views.subList(from, Math.min(views.size(), from + BATCH))));
    }
    return Future.all(batches);
  }

  private Future<Void> write(List<SessionView> batch) {
    return db.pool().preparedQuery(UPSERT).executeBatch(batch.stream().map(SessionHistory::row).toList()).mapEmpty();
  }

  private static Tuple row(SessionView s) {
    return Tuple.tuple()
        .addUUID(UUID.fromString(s.id()))
        .addUUID(UUID.fromString(s.userId()))
        .addString(s.username())
        .addUUID(UUID.fromString(s.resourceId()))
        .addUUID(UUID.fromString(s.hostId()))
        .addString(s.state().wireName())
        .addOffsetDateTime(s.createdAt().atOffset(ZoneOffset.UTC))
        .addOffsetDateTime(s.updatedAt().atOffset(ZoneOffset.UTC))
        .addOffsetDateTime(!s.state().open() ? s.updatedAt().atOffset(ZoneOffset.UTC) : null)
        .addString(s.resourceName())
        .addString(s.hostName())
        .addUUID(s.poolId() == null ? null : UUID.fromString(s.poolId()))
        .addString(s.poolName())
        .addString(s.endReason());
  }
}
