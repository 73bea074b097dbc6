package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.cluster.SealedMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The sessions the cluster's leader placed or changed while the hub could not be reached, kept in a cluster map with
 * a backup on another node before the placement is answered: when the leader dies during the outage, the next one
 * starts from them, so that no placement is lost and no host is over-filled. An ended session stays for
 * {@link #KEEP_ENDED}; what the hub took over is removed.
 */
public interface OutagePlacements {

  /** The cluster map of these sessions by id (sealed values). */
  String MAP_NAME = "outpost.lhc.sessions";
  /** How long an ended session is kept, for a leader that takes over to count it out. */
  Duration KEEP_ENDED = Duration.ofMinutes(10);

  /** Keeps the newest view of a session; completes once the cluster holds it (and its backup). */
  Future<Void> keep(SessionView session);

  /** Every session kept. */
  Future<List<SessionView>> all();

  /** Removes these sessions (the hub took them over), unless they changed since. */
  Future<Void> forget(List<SessionView> sessions);

  /** Nothing kept: for a broker that is not part of a cluster's outage mode. */
  OutagePlacements NONE = new OutagePlacements() {
    @Override
    public Future<Void> keep(SessionView session) {
      return Future.succeededFuture();
    }

    @Override
    public Future<List<SessionView>> all() {
      return Future.succeededFuture(List.of());
    }

    @Override
    public Future<Void> forget(List<SessionView> sessions) {
      return Future.succeededFuture();
    }
  };

  /** Kept in the cluster map {@code map} ({@link #MAP_NAME}); blocking reads run on a worker. */
  static OutagePlacements inCluster(Vertx vertx, SealedMap map) {
    Objects.requireNonNull(vertx);
    Objects.requireNonNull(map);
    return new OutagePlacements() {
      @Override
      public Future<Void> keep(SessionView session) {
        String value = session.toJson().encode();
        return Future.fromCompletionStage(session.state().open() ? map.setAsync(session.id(), value)
            : map.setAsync(session.id(), value, KEEP_ENDED.toSeconds(), TimeUnit.SECONDS), vertx.getOrCreateContext());
      }

      @Override
      public Future<List<SessionView>> all() {
        return vertx.executeBlocking(() -> {
          List<SessionView> sessions = new ArrayList<>();
          map.values().forEach(value -> sessions.add(SessionView.fromJson(new JsonObject(value))));
          return sessions;
        });
      }

      @Override
      public Future<Void> forget(List<SessionView> sessions) {
        return vertx.executeBlocking(() -> {
          for (SessionView session : sessions) {
            String kept = map.get(session.id());
            if (kept != null && !SessionView.fromJson(new JsonObject(kept)).updatedAt().isAfter(session.updatedAt())) {
              map.delete(session.id());
            }
          }
          return null;
        });
      }
    };
  }
}
