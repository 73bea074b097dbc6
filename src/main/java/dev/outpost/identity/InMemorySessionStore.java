package dev.outpost.identity;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Sessions of a single process (the standalone hub), expired lazily and swept as the map grows. */
public final class InMemorySessionStore implements SessionStore {

  private static final int SWEEP_ABOVE = 10_000;

  private final Map<String, Principal> sessions = new ConcurrentHashMap<>();
  private final Map<String, Instant> revokedBefore = new ConcurrentHashMap<>();

  @Override
  public Future<Void> put(Principal principal, Duration ttl) {
    if (sessions.size() > SWEEP_ABOVE) {
      Instant now = Instant.now();
      sessions.values().removeIf(p -> !p.expiresAt().isAfter(now));
    }
    sessions.put(principal.sessionId(), principal);
    return Future.succeededFuture();
  }

  @Override
  public Future<Principal> find(String sessionId) {
    Principal p = sessions.get(sessionId);
    if (p == null || !p.expiresAt().isAfter(Instant.now())) {
      return Future.succeededFuture(null);
    }
    Instant revoked = revokedBefore.get(p.userId());
    return Future.succeededFuture(revoked != null && !revoked.isBefore(p.createdAt()) ? null : p);
  }

  @Override
  public Future<Void> remove(String sessionId) {
    sessions.remove(sessionId);
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> revokeUser(String userId) {
    revokedBefore.put(userId, Instant.now());
    return Future.succeededFuture();
  }
}
