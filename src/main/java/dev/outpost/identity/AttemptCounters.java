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
   * The answer to {@link #reserve}: a pending slot taken {@code at}; or no slot and how long until a settled one
   * leaves the window; or no slot for now only because attempts still being checked hold the rest ({@link #busy}:
   * ask again shortly).
   *
   * @param at the slot's stamp, what {@link #settle} and {@link #release} need; {@code null} when none was taken
   * @param retryAfter {@link Duration#ZERO} when taken or busy
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

    static Reservation inUse() {
      return new Reservation(null, Duration.ZERO);
    }

    /** From the answer of a counter: 0 taken at {@code stamp}, {@link SlidingWindow#BUSY}, or a wait. */
    static Reservation of(long answer, long stamp) {
      return answer == 0 ? taken(Instant.ofEpochMilli(stamp)) : answer == SlidingWindow.BUSY ? inUse()
          : refused(Duration.ofMillis(answer));
    }

    public boolean taken() {
      return at != null;
    }

    /** No slot for now, only because attempts still being checked hold them: ask again shortly. */
    public boolean busy() {
      return at == null && retryAfter.isZero();
    }
  }

  /** Takes a pending slot under {@code key} now when fewer than {@code limit} were taken within {@code window}. */
  Future<Reservation> reserve(String key, int limit, Duration window);

  /** The attempt of the slot taken {@code at} counted (a wrong password, a bad token): it stays until it leaves. */
  Future<Void> settle(String key, Instant at, Duration window);

  /** Gives back the slot taken at {@code at} (an attempt that does not count after all). */
  Future<Void> release(String key, Instant at, Duration window);

  /** Forgets every slot under {@code key}. */
  Future<Void> clear(String key);
}
