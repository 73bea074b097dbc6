package dev.outpost.hosts.impl;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * At most {@code max} events per key within any {@code window}: an in-memory sliding window per caller address.
 * Per node, which is enough to slow down guessing; safe from any thread.
 */
public final class SlidingWindowLimiter {

  /** Beyond this many keys, stale ones are dropped so that spoofed sources cannot grow the map without bound. */
  private static final int PURGE_ABOVE = 10_000;

  private final int max;
  private final Duration window;
  private final Clock clock;
  private final Map<String, Deque<Instant>> events = new ConcurrentHashMap<>();

  public SlidingWindowLimiter(int max, Duration window, Clock clock) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be at least 1");
    }
    this.max = max;
    this.window = Objects.requireNonNull(window);
    this.clock = Objects.requireNonNull(clock);
  }

  /** Empty when {@code key} may act now, else how long until it may. */
  public Optional<Duration> blocked(String key) {
    Deque<Instant> times = events.get(key);
    if (times == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    synchronized (times) {
      expire(times, now);
      if (times.size() < max) {
        return Optional.empty();
      }
      return Optional.of(Duration.between(now, times.peekFirst().plus(window)));
    }
  }

  /** Counts one event for {@code key}. */
  public void record(String key) {
    Instant now = clock.instant();
    Deque<Instant> times = events.computeIfAbsent(key, k -> new ArrayDeque<>());
    synchronized (times) {
      expire(times, now);
      times.addLast(now);
      while (times.size() > max) {
        times.removeFirst();
      }
    }
    if (events.size() > PURGE_ABOVE) {
      events.entrySet().removeIf(e -> {
        synchronized (e.getValue()) {
          expire(e.getValue(), now);
          return e.getValue().isEmpty();
        }
      });
    }
  }

  private void expire(Deque<Instant> times, Instant now) {
    Instant horizon = now.minus(window);
    while (!times.isEmpty() && !times.peekFirst().isAfter(horizon)) {
      times.removeFirst();
    }
  }
}
