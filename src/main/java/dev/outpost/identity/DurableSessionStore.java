package dev.outpost.identity;

import dev.outpost.db.DiskSpool;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions in the cluster's map, written through to PostgreSQL so that they outlive a restart of every node: the
 * cluster answers; a session it does not hold (the site restarted, the map lost it) is read from the database and put
 * back into the cluster. Sign-in never waits on a database that is down: a write it cannot make goes to a spool on
 * disk ({@code data-dir/spool/sign-in-sessions.jsonl}) and is written, in order, once the database answers. Expired
 * rows are purged periodically.
 */
public final class DurableSessionStore implements SessionStore {

  private static final Logger LOG = LoggerFactory.getLogger(DurableSessionStore.class);
  /** The spool of writes waiting for the database, under {@code data-dir/spool/}. */
  public static final String SPOOL = "sign-in-sessions";
  /** How long a write may wait on the database before it is spooled instead (a database that hangs). */
  static final Duration WRITE_WAIT = Duration.ofSeconds(2);
  private static final Duration REPLAY_EVERY = Duration.ofSeconds(5);
  private static final Duration PURGE_EVERY = Duration.ofMinutes(10);

  private final Vertx vertx;
  private final SessionStore cluster;
  private final StoredSessions stored;
  private final DiskSpool spool;
  private final Clock clock;

  private DurableSessionStore(Vertx vertx, SessionStore cluster, StoredSessions stored, DiskSpool spool,
      Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.cluster = Objects.requireNonNull(cluster);
    this.stored = Objects.requireNonNull(stored);
    this.spool = Objects.requireNonNull(spool);
    this.clock = Objects.requireNonNull(clock);
  }

  /**
   * A store over {@code cluster} and {@code stored}; replays what an earlier run spooled and purges expired rows from
   * now on (timers of {@code vertx}, which end with it).
   */
  public static DurableSessionStore create(Vertx vertx, SessionStore cluster, StoredSessions stored, DiskSpool spool,
      Clock clock) {
    DurableSessionStore store = new DurableSessionStore(vertx, cluster, stored, spool, clock);
    spool.replayEvery(REPLAY_EVERY, store::replay);
    vertx.setPeriodic(0, PURGE_EVERY.toMillis(), id -> store.purge());
    return store;
  }

  @Override
  public Future<Void> put(Principal principal, Duration ttl) {
    return cluster.put(principal, ttl).compose(v -> persist(stored.put(principal)));
  }

  @Override
  public Future<Principal> find(String sessionId) {
    return cluster.find(sessionId).compose(found -> found != null ? Future.succeededFuture(found)
        : restore(sessionId));
  }

  @Override
  public Future<Void> remove(String sessionId) {
    return cluster.remove(sessionId).compose(v -> persist(new StoredSessions.Remove(sessionId)));
  }

  @Override
  public Future<Void> revokeUser(String userId) {
    Instant now = clock.instant();
    return cluster.revokeUser(userId).compose(v -> persist(new StoredSessions.Revoke(userId, now)));
  }

  /**
   * A session the cluster does not hold, from the database: put back into the cluster, then read through it, so that
   * the cluster's own checks (expiry, a revocation it holds) still apply. Unknown (null) when the database cannot say:
   * the user signs in again, which works from the cluster alone.
   */
  private Future<Principal> restore(String sessionId) {
    return replay()
        .compose(v -> stored.find(sessionId))
        .compose(principal -> {
          if (principal == null) {
            return Future.succeededFuture(null);
          }
          Duration left = Duration.between(clock.instant(), principal.expiresAt());
          if (left.isNegative() || left.isZero()) {
            return Future.succeededFuture(null);
          }
          return cluster.put(principal, left).compose(x -> cluster.find(sessionId));
        })
        .recover(e -> {
          LOG.debug("Cannot look a session up in the database: {}", e.getMessage());
          return Future.succeededFuture(null);
        });
  }

  /**
   * Writes one change: straight to the database while nothing waits in the spool, else behind what waits; a write the
   * database refuses or does not answer within {@link #WRITE_WAIT} is spooled (a late answer writes it twice, which
   * changes nothing). Never fails: what neither took is logged and kept by the cluster alone.
   */
  private Future<Void> persist(StoredSessions.Change change) {
    if (!spool.isEmpty() || spool.replaying()) {
      return toSpool(change);
    }
    return stored.apply(List.of(change))
        .timeout(WRITE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
        .recover(e -> {
          LOG.debug("A sign-in session change waits for the database: {}", e.getMessage());
          return toSpool(change);
        });
  }

  private Future<Void> toSpool(StoredSessions.Change change) {
    return spool.append(List.of(change.toJson())).compose(kept -> kept ? Future.<Void>succeededFuture()
        : Future.failedFuture(new IllegalStateException("the sign-in session spool " + spool.file() + " is full")))
        .recover(e -> {
          // the cluster holds the session: it works until this site restarts, as it did before sessions were stored
          LOG.warn("A sign-in session change is kept in the cluster only (database and spool out of reach: {})",
              e.getMessage());
          return Future.succeededFuture();
        });
  }

  /** Writes what waits in the spool, in order; succeeds at once when nothing waits. */
  private Future<Void> replay() {
    return spool.isEmpty() ? Future.succeededFuture() : spool.replay(this::replay).mapEmpty();
  }

  private Future<?> replay(List<JsonObject> spooled) {
    List<StoredSessions.Change> changes = new ArrayList<>(spooled.size());
    for (JsonObject json : spooled) {
      try {
        changes.add(StoredSessions.Change.fromJson(json));
      } catch (RuntimeException e) {
        LOG.warn("Skipping a spooled sign-in session change that cannot be read: {}", e.getMessage());
      }
    }
    return stored.apply(changes);
  }

  private void purge() {
    stored.purge()
        .onSuccess(purged -> {
          if (purged > 0) {
            LOG.atInfo().addKeyValue("sessions", purged).log("Purged expired sign-in sessions from the database");
          }
        })
        .onFailure(e -> LOG.debug("Expired sign-in sessions not purged yet: {}", e.getMessage()));
  }
}
