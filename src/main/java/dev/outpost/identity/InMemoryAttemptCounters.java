package dev.outpost.identity;

import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Attempt counters in this process, for a role without a cluster (the hub) and for per-node limits. Safe from any
 * thread; answers at once. Memory: one entry per key that took a slot within its window, plus expired ones until
 * the next sweep; live entries are never dropped to make room.
 */
public final class InMemoryAttemptCounters implements AttemptCounters {

  /** Below this many keys, no sweep: expired entries cost little and are dropped when their key comes back. */
  static final int SWEEP_FLOOR = 1024;
  private static final long SWEEP_EVERY_MS = 60_000;

  /** A key's live slots and when the newest of them leaves its window. */
  private record Window(long[] stamps, long expiresAt) {
  }

  private final Clock clock;
  private final ConcurrentMap<String, Window> windows = new ConcurrentHashMap<>();
  private volatile int sweepAbove = SWEEP_FLOOR;
  private final AtomicLong nextSweep = new AtomicLong();

  public InMemoryAttemptCounters(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public Future<Reservation> reserve(String key, int limit, Duration window) {
    long now = clock.millis();
    long windowMs = window.toMillis();
    long stamp = SlidingWindow.pending(now);
    long[] answer = new long[1];
    windows.compute(key, (k, current) -> {
      long[] live = SlidingWindow.live(current == null ? null : current.stamps(), now, windowMs);
      answer[0] = SlidingWindow.refusal(live, limit, now, windowMs);
      return answer[0] != 0 ? keep(live, now, windowMs) : keep(SlidingWindow.with(live, stamp), now, windowMs);
    });
    sweepIfDue(now);
    return Future.succeededFuture(Reservation.of(answer[0], stamp));
  }

  @Override
  public Future<Void> settle(String key, Instant at, Duration window) {
    return change(key, window, live -> SlidingWindow.settled(live, at.toEpochMilli()));
  }

  @Override
  public Future<Void> release(String key, Instant at, Duration window) {
    return change(key, window, live -> SlidingWindow.without(live, at.toEpochMilli()));
  }

  /** Applies {@code change} to the key's live slots, if it has any. */
  private Future<Void> change(String key, Duration window, java.util.function.UnaryOperator<long[]> change) {
    long now = clock.millis();
    long windowMs = window.toMillis();
    windows.computeIfPresent(key, (k, current) -> keep(change.apply(SlidingWindow.live(current.stamps(), now,
        windowMs)), now, windowMs));
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> clear(String key) {
    windows.remove(key);
    return Future.succeededFuture();
  }

  /** Keys held now, expired ones not yet swept included. */
  int size() {
    return windows.size();
  }

  private static Window keep(long[] live, long now, long windowMs) {
    return live.length == 0 ? null : new Window(live, now + SlidingWindow.keepMillis(live, now, windowMs));
  }

  /**
   * Drops expired entries when the map has doubled since the last sweep, or a minute after it: the cost stays in
   * proportion to the growth, and the memory returns to what the live windows need soon after a burst.
   */
  private void sweepIfDue(long now) {
    int size = windows.size();
    long planned = nextSweep.get();
    if (size <= SWEEP_FLOOR || size <= sweepAbove && now < planned) {
      return;
    }
    if (!nextSweep.compareAndSet(planned, now + SWEEP_EVERY_MS)) {
      return; // another thread sweeps
    }
    windows.values().removeIf(w -> w.expiresAt() <= now);
    sweepAbove = Math.max(SWEEP_FLOOR, 2 * windows.size());
  }
}
