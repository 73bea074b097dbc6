package dev.outpost.lease.impl;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * At most {@code perSecond} leases in any one-second window: counts what was sent in the last second and allows
 * the rest. Used from one thread (the issuing leader's event loop).
 */
final class IssueRateLimit {

  private record Sent(long atMillis, int count) {
  }

  private final int perSecond;
  private final Deque<Sent> window = new ArrayDeque<>();
  private int inWindow;

  IssueRateLimit(int perSecond) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("the issue rate must be at least 1 per second");
    }
    this.perSecond = perSecond;
  }

  /** How many may be sent at {@code nowMillis}. */
  int allowed(long nowMillis) {
    while (!window.isEmpty() && window.peekFirst().atMillis() <= nowMillis - 1_000) {
      inWindow -= window.removeFirst().count();
    }
    return perSecond - inWindow;
  }

  void sent(long nowMillis, int count) {
    if (count > 0) {
      window.addLast(new Sent(nowMillis, count));
      inWindow += count;
    }
  }
}
