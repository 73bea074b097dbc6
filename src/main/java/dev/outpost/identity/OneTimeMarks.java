package dev.outpost.identity;

import dev.outpost.cluster.ClusterFutures;
import dev.outpost.cluster.SealedMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Marks of things that may be used once (an authenticator code of one time step, a device's sign-in proof), so that
 * a replay is refused: the whole site's in a cluster map on an appliance, this process's at a hub. Keys are hashes,
 * never the codes themselves.
 */
public interface OneTimeMarks {

  /** The cluster map of an appliance's marks. */
  String MAP_NAME = "outpost.identity.one-time-marks";

  /** Marks {@code key} as used for {@code ttl}; {@code true} only for the first caller to do so. */
  Future<Boolean> firstUse(String key, Duration ttl);

  /** The cluster's marks: the map's put hands the previous value to exactly one later caller. */
  static OneTimeMarks cluster(Vertx vertx, SealedMap map) {
    Objects.requireNonNull(vertx);
    Objects.requireNonNull(map);
    return (key, ttl) -> ClusterFutures.on(vertx.getOrCreateContext(),
            map.putAsync(key, "used", ttl.toMillis(), TimeUnit.MILLISECONDS))
        .map(previous -> previous == null);
  }

  /** This process's marks, forgotten when they expire (swept as the map grows). */
  static OneTimeMarks inMemory(Clock clock) {
    Objects.requireNonNull(clock);
    Map<String, Instant> marks = new ConcurrentHashMap<>();
    return (key, ttl) -> {
      Instant now = clock.instant();
      if (marks.size() > 10_000) {
        marks.values().removeIf(until -> !until.isAfter(now));
      }
      Instant until = now.plus(ttl);
      Instant[] previous = new Instant[1];
      marks.compute(key, (k, old) -> {
        previous[0] = old != null && old.isAfter(now) ? old : null;
        return previous[0] != null ? old : until;
      });
      return Future.succeededFuture(previous[0] == null);
    };
  }
}
