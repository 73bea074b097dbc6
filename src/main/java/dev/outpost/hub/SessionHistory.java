package dev.outpost.hub;

import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
 * that a launch never waits on PostgreSQL. When the database is down the batch is kept and retried; beyond
 * {@link #MAX_PENDING} sessions the oldest changes are dropped with a warning (the live state is not
 * affected). Used on the broker's context only.
 */
final class SessionHistory {

  private static final Logger LOG = LoggerFactory.getLogger(SessionHistory.class);
  static final int MAX_PENDING = 200_000;
  private static final long FLUSH_MS = 250;
  private static final int BATCH = 1_000;

  private final Database db;
  private final Map<String, SessionView> pending = new LinkedHashMap<>();
  private boolean flushing;
  private long dropped;

  SessionHistory(Database db) {
    this.db = db;
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
    if (flushing || pending.isEmpty()) {
      return Future.succeededFuture();
    }
    flushing = true;
    List<SessionView> batch = new ArrayList<>(Math.min(BATCH, pending.size()));
    var it = pending.values().iterator();
    while (it.hasNext() && batch.size() < BATCH) {
      batch.add(it.next());
      it.remove();
    }
    List<Tuple> rows = batch.stream().map(SessionHistory::row).toList();
    return db.pool().preparedQuery("""
            INSERT INTO session_history(id, user_id, username, resource_id, host_id, state, created_at, updated_at, ended_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at,
              ended_at = excluded.ended_at
            WHERE session_history.updated_at <= excluded.updated_at""")
        .executeBatch(rows)
        .<Void>mapEmpty()
        .onFailure(e -> {
          // keep what failed unless a newer change arrived meanwhile
          for (SessionView s : batch) {
            pending.putIfAbsent(s.id(), s);
          }
          LOG.debug("Session history not written yet ({} pending): {}", pending.size(), e.getMessage());
        })
        .onComplete(ar -> flushing = false);
  }

  private static Tuple row(SessionView s) {
    return Tuple.tuple()
        .addUUID(UUID.fromString(s.id()))
        .addUUID(UUID.fromString(s.userId()))
        .addString(s.username())
        .addUUID(UUID.fromString(s.resourceId()))
        .addUUID(UUID.fromString(s.hostId()))
        .addString(s.state())
        .addOffsetDateTime(s.createdAt().atOffset(ZoneOffset.UTC))
        .addOffsetDateTime(s.updatedAt().atOffset(ZoneOffset.UTC))
        .addOffsetDateTime("ended".equals(s.state()) ? s.updatedAt().atOffset(ZoneOffset.UTC) : null);
  }
}
