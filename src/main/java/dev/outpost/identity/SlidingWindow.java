package dev.outpost.identity;

import java.util.Arrays;

/**
 * The arithmetic of one sliding-window counter: the times (epoch milliseconds, ascending) at which its slots were
 * taken. A slot is pending (its attempt is being checked: an odd stamp) or settled (it counted: an even stamp).
 * Settled slots refuse further attempts; pending ones only make them wait, so that a burst of attempts that turn
 * out right (a whole office behind one address signing in at nine) is served at the limit's pace rather than
 * refused, while a burst of wrong ones still gets no more than the limit checked. Shared by every
 * {@link AttemptCounters} so that they all count alike; pure, arrays are never changed in place.
 */
final class SlidingWindow {

  private static final long[] NONE = new long[0];

  private SlidingWindow() {
  }

  /** The slots still inside the window at {@code now}. */
  static long[] live(long[] stamps, long now, long windowMs) {
    if (stamps == null) {
      return NONE;
    }
    long cutoff = now - windowMs;
    int first = 0;
    while (first < stamps.length && stamps[first] <= cutoff) {
      first++;
    }
    return first == 0 ? stamps : Arrays.copyOfRange(stamps, first, stamps.length);
  }

  /** What {@link #refusal} answers when the slots are all taken but some only by attempts still being checked. */
  static final long BUSY = -1;

  /** The stamp of a pending slot taken at {@code now}. */
  static long pending(long now) {
    return now | 1L;
  }

  /**
   * 0 when a slot is free; {@link #BUSY} when the limit is reached only with pending slots; else the milliseconds
   * (at least 1) until the oldest settled slot that blocks leaves the window.
   */
  static long refusal(long[] live, int limit, long now, long windowMs) {
    if (live.length < limit) {
      return 0;
    }
    int settled = 0;
    for (long stamp : live) {
      if ((stamp & 1L) == 0) {
        settled++;
      }
    }
    if (settled < limit) {
      return BUSY;
    }
    int blocking = settled - limit; // the settled slot whose leaving frees one
    for (long stamp : live) {
      if ((stamp & 1L) == 0 && blocking-- == 0) {
        return Math.max(1, stamp + windowMs - now);
      }
    }
    return BUSY; // not reached
  }

  /** {@code stamps} with the pending slot taken at {@code stamp} settled (unchanged when there is none). */
  static long[] settled(long[] stamps, long stamp) {
    long[] without = without(stamps, stamp);
    return without == stamps ? stamps : with(without, stamp & ~1L);
  }

  /** {@code live} with a slot taken at {@code stamp}, kept in order (another node's clock may be behind). */
  static long[] with(long[] live, long stamp) {
    int at = live.length;
    while (at > 0 && live[at - 1] > stamp) {
      at--;
    }
    long[] more = new long[live.length + 1];
    System.arraycopy(live, 0, more, 0, at);
    more[at] = stamp;
    System.arraycopy(live, at, more, at + 1, live.length - at);
    return more;
  }

  /** {@code stamps} without one slot taken at {@code stamp} (unchanged when there is none). */
  static long[] without(long[] stamps, long stamp) {
    for (int i = stamps.length - 1; i >= 0; i--) {
      if (stamps[i] == stamp) {
        long[] fewer = new long[stamps.length - 1];
        System.arraycopy(stamps, 0, fewer, 0, i);
        System.arraycopy(stamps, i + 1, fewer, i, stamps.length - i - 1);
        return fewer;
      }
    }
    return stamps;
  }

  /** How long (at least 1 ms) the counter must be kept: until its newest slot leaves the window. */
  static long keepMillis(long[] live, long now, long windowMs) {
    return Math.max(1, live[live.length - 1] + windowMs - now);
  }
}
