package dev.outpost.identity;

import com.hazelcast.map.IMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/** Sessions in a Hazelcast map (with backups): they survive the loss of the node that created them. */
public final class HazelcastSessionStore implements SessionStore {

  public static final String MAP_NAME = "outpost.identity.sessions";

  private final Vertx vertx;
  private final IMap<String, String> sessions;

  public HazelcastSessionStore(Vertx vertx, IMap<String, String> sessions) {
    this.vertx = vertx;
    this.sessions = sessions;
  }

  @Override
  public Future<Void> put(Principal principal, Duration ttl) {
    return Future.fromCompletionStage(
        sessions.setAsync(principal.sessionId(), principal.toJson().encode(), ttl.toMillis(), TimeUnit.MILLISECONDS),
        context());
  }

  @Override
  public Future<Principal> find(String sessionId) {
    return Future.fromCompletionStage(sessions.getAsync(sessionId), context())
        .map(value -> {
          if (value == null) {
            return null;
          }
          Principal principal = Principal.fromJson(new JsonObject(value));
          return principal.expiresAt().isAfter(Instant.now()) ? principal : null;
        });
  }

  @Override
  public Future<Void> remove(String sessionId) {
    return Future.fromCompletionStage(sessions.removeAsync(sessionId), context()).mapEmpty();
  }

  private Context context() {
    return vertx.getOrCreateContext();
  }
}
