package dev.outpost.identity;

import com.hazelcast.map.IMap;
import dev.outpost.cluster.ClusterFutures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Attempt counters of the whole site in a Hazelcast map (one backup, no eviction): every node counts into the same
 * entries, so sending attempts to several nodes does not multiply a limit. Each change is an
 * {@link AttemptSlotProcessor} run on the key's owner; each entry lives until its window ends.
 */
public final class HazelcastAttemptCounters implements AttemptCounters {

  /** The map's name, configured in {@code ClusterSetup}. */
  public static final String MAP_NAME = "outpost.identity.attempts";

  private final Vertx vertx;
  private final IMap<String, long[]> counters;
  private final Clock clock;

  public HazelcastAttemptCounters(Vertx vertx, IMap<String, long[]> counters, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.counters = Objects.requireNonNull(counters);
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public Future<Reservation> reserve(String key, int limit, Duration window) {
    long now = clock.millis();
    return ClusterFutures.on(vertx.getOrCreateContext(),
            counters.submitToKey(key, AttemptSlotProcessor.take(now, limit, window.toMillis())))
        .map(answer -> Reservation.of(answer, SlidingWindow.pending(now)));
  }

  @Override
  public Future<Void> settle(String key, Instant at, Duration window) {
    return ClusterFutures.on(vertx.getOrCreateContext(), counters.submitToKey(key,
        AttemptSlotProcessor.settle(clock.millis(), at.toEpochMilli(), window.toMillis()))).mapEmpty();
  }

  @Override
  public Future<Void> release(String key, Instant at, Duration window) {
    return ClusterFutures.on(vertx.getOrCreateContext(), counters.submitToKey(key,
        AttemptSlotProcessor.giveBack(clock.millis(), at.toEpochMilli(), window.toMillis()))).mapEmpty();
  }

  @Override
  public Future<Void> clear(String key) {
    return ClusterFutures.on(vertx.getOrCreateContext(), counters.removeAsync(key)).mapEmpty();
  }
}
