package dev.outpost.identity;

import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Sliding-window counters of attempts (sign-ins, enrollments) by key. A caller takes a slot BEFORE it checks the
 * attempt, and gives the slot back only when the attempt turns out not to count: so parallel attempts cannot all
 * pass a limit that none of them has counted yet. Every operation is atomic per key. An entry leaves the store
 * when its newest slot leaves the window, and in no other way: filling the store with other keys never makes it
 * forget a key.
 */
public interface AttemptCounters {

  /**
   * The answer to {@link #reserve}: a slot taken {@code at}, or no slot and how long until one frees.
   *
   * @param at when the slot was taken, what {@link #release} needs; {@code null} when refused
   * @param retryAfter {@link Duration#ZERO} when taken
   */
  record Reservation(Instant at, Duration retryAfter) {

    public Reservation {
      Objects.requireNonNull(retryAfter);
    }

    static Reservation taken(Instant at) {
      return new Reservation(Objects.requireNonNull(at), Duration.ZERO);
    }

    static Reservation refused(Duration retryAfter) {
      return new Reservation(null, retryAfter);
    }

    public boolean taken() {
      return at != null;
    }
  }

  /** Takes a slot under {@code key} now when fewer than {@code limit} were taken within {@code window}. */
  Future<Reservation> reserve(String key, int limit, Duration window);

  /** Gives back the slot taken at {@code at} (an attempt that does not count after all). */
  Future<Void> release(String key, Instant at, Duration window);

  /** Forgets every slot under {@code key}. */
  Future<Void> clear(String key);
}
