package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.SessionState;
import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The sessions that were open when the broker last stopped (as its session history has them), waiting for the agents
 * of their hosts to link again: a host that registers takes its sessions back into the broker, so that the session
 * lists are complete after a restart and a user's launch reconnects to the session they had. Sessions of a host that
 * has not come back within the wait end as lost. Used on the broker's context only.
 */
final class RelinkingSessions {

  /** Why a session ends whose host did not come back after a restart. */
  static final String NOT_BACK = "host lost: its agent did not link again after the broker restarted";
  /** Why a session ends that its host no longer reports. */
  static final String NOT_REPORTED = "ended on its host while the broker restarted";
  private static final String OPEN = """
      SELECT id, user_id, username, resource_id, resource_name, pool_id, pool_name, host_id, host_name, state,
        created_at, updated_at
      FROM session_history WHERE ended_at IS NULL""";

  private final Map<String, List<SessionView>> byHost = new HashMap<>();
  private Instant until = Instant.MIN;

  /** Loads the open sessions of the history; they wait for their hosts until {@code now + wait}. */
  static Future<RelinkingSessions> load(Database db, Instant now, Duration wait) {
    return db.pool().query(OPEN).execute().map(rows -> {
      RelinkingSessions waiting = new RelinkingSessions();
      for (Row row : rows) {
        SessionView view = view(row);
        waiting.byHost.computeIfAbsent(view.hostId(), h -> new ArrayList<>()).add(view);
      }
      waiting.until = now.plus(wait);
      return waiting;
    });
  }

  /** None waits (the history could not be read). */
  static RelinkingSessions none() {
    return new RelinkingSessions();
  }

  /** How many sessions wait. */
  int size() {
    return byHost.values().stream().mapToInt(List::size).sum();
  }

  /** The sessions of a host that linked again, taken out of the wait; empty for any other host. */
  List<SessionView> take(String hostId) {
    List<SessionView> sessions = byHost.remove(Objects.requireNonNull(hostId));
    return sessions == null ? List.of() : sessions;
  }

  /** Once the wait is over, the sessions still waiting, ended as lost at {@code now}; else none. */
  List<SessionView> expire(Instant now) {
    if (byHost.isEmpty() || now.isBefore(until)) {
      return List.of();
    }
    List<SessionView> lost = new ArrayList<>();
    byHost.values().forEach(sessions -> sessions.forEach(s -> lost.add(ended(s, NOT_BACK, now))));
    byHost.clear();
    return lost;
  }

  /** {@code session} as ended for {@code reason} at {@code now}. */
  static SessionView ended(SessionView session, String reason, Instant now) {
    return new SessionView(session.id(), session.userId(), session.username(), session.resourceId(),
        session.resourceName(), session.poolId(), session.poolName(), session.hostId(), session.hostName(),
        session.hostAddress(), session.port(), SessionState.ENDED, reason, session.createdAt(), now);
  }

  private static SessionView view(Row row) {
    return new SessionView(row.getUUID("id").toString(), row.getUUID("user_id").toString(), row.getString("username"),
        row.getUUID("resource_id").toString(), row.getString("resource_name"),
        row.getUUID("pool_id") == null ? null : row.getUUID("pool_id").toString(), row.getString("pool_name"),
        row.getUUID("host_id").toString(), row.getString("host_name"), null, 0,
        SessionState.parse(row.getString("state")).orElse(SessionState.CONNECTED),
        null, row.getOffsetDateTime("created_at").toInstant(), row.getOffsetDateTime("updated_at").toInstant());
  }
}
