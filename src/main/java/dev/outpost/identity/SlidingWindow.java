package dev.outpost.identity;

import java.util.Arrays;

/**
 * The arithmetic of one sliding-window counter: the times (epoch milliseconds, ascending) at which its slots were
 * taken. Shared by every {@link AttemptCounters} so that they all count alike; pure, arrays are never changed in
 * place.
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

  /** 0 when a slot is free, else the milliseconds (at least 1) until the oldest slot that blocks leaves. */
  static long waitMillis(long[] live, int limit, long now, long windowMs) {
    if (live.length < limit) {
      return 0;
    }
    return Math.max(1, live[live.length - limit] + windowMs - now);
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
