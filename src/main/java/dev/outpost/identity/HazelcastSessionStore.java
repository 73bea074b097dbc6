package dev.outpost.identity;

import dev.outpost.wire.SchemaVersion;
import dev.outpost.cluster.ClusterFutures;
import dev.outpost.cluster.SealedMap;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * Sessions in a Hazelcast map (with backups): they survive the loss of the node that created them. Kept under the
 * hash of their token and sealed under the cluster secret, so that nothing on the cluster network can read a
 * session or write one that a node would accept.
 */
public final class HazelcastSessionStore implements SessionStore {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HazelcastSessionStore.class);

  public static final String MAP_NAME = "outpost.identity.sessions";
  /** User id -> epoch millis before which that user's sessions are void. */
  public static final String REVOCATIONS_MAP_NAME = "outpost.identity.user-revocations";
  private static final long REVOCATION_TTL_DAYS = 31;

  private final Vertx vertx;
  private final SealedMap sessions;
  private final SealedMap revocations;

  public HazelcastSessionStore(Vertx vertx, SealedMap sessions, SealedMap revocations) {
    this.vertx = vertx;
    this.sessions = sessions;
    this.revocations = revocations;
  }

  @Override
  public Future<Void> put(Principal principal, Duration ttl) {
    return ClusterFutures.on(context(),
        sessions.setAsync(principal.sessionId(), principal.toJson().encode(), ttl.toMillis(), TimeUnit.MILLISECONDS));
  }

  @Override
  public Future<Principal> find(String sessionId) {
    return ClusterFutures.on(context(), sessions.getAsync(sessionId))
        .compose(value -> {
          if (value == null) {
            return Future.succeededFuture(null);
          }
          Principal principal;
          try {
            principal = Principal.fromJson(new JsonObject(value));
          } catch (SchemaVersion.UnreadableException e) {
            LOG.warn("A session written by another major version cannot be read here ({}); its user signs in again",
                e.getMessage());
            return Future.succeededFuture(null);
          }
          if (!principal.expiresAt().isAfter(Instant.now())) {
            return Future.succeededFuture(null);
          }
          return ClusterFutures.on(context(), revocations.getAsync(principal.userId()))
              .map(revokedAt -> revokedAt != null && Long.parseLong(revokedAt) >= principal.createdAt().toEpochMilli()
                  ? null : principal);
        });
  }

  @Override
  public Future<Void> revokeUser(String userId) {
    return ClusterFutures.on(context(), revocations.setAsync(userId, Long.toString(Instant.now().toEpochMilli()),
        REVOCATION_TTL_DAYS, TimeUnit.DAYS));
  }

  @Override
  public Future<Void> remove(String sessionId) {
    return ClusterFutures.on(context(), sessions.removeAsync(sessionId)).mapEmpty();
  }

  private Context context() {
    return vertx.getOrCreateContext();
  }
}
