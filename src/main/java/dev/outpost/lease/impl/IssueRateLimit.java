package dev.outpost.lease.impl;

import java.util.ArrayList;
import java.util.List;

/**
 * At most {@code perSecond} leases signed by the hub in any one-second window, as the hub sees it. A batch counts
 * from the moment it is sent until one second after its answer came back: the hub signs it somewhere in between,
 * so whatever the tunnel's delays, any second at the hub overlaps only batches that were all counted together when
 * the last of them was sent. Used from one thread (the issuing leader's event loop).
 */
final class IssueRateLimit {

  /** One batch: how many leases, and when its answer came ({@code -1} while in flight). */
  static final class Batch {
    private final int count;
    private long answeredAt = -1;

    private Batch(int count) {
      this.count = count;
    }
  }

  private final int perSecond;
  private final List<Batch> counted = new ArrayList<>();

  IssueRateLimit(int perSecond) {
    if (perSecond < 1) {
      throw new IllegalArgumentException("the issue rate must be at least 1 per second");
    }
    this.perSecond = perSecond;
  }

  /** How many may be sent at {@code nowMillis}. */
  int allowed(long nowMillis) {
    counted.removeIf(b -> b.answeredAt >= 0 && b.answeredAt <= nowMillis - 1_000);
    int inWindow = 0;
    for (Batch b : counted) {
      inWindow += b.count;
    }
    return perSecond - inWindow;
  }

  /** Counts a batch sent now; call {@link #answered} when the hub's answer (or failure) comes back. */
  Batch sent(int count) {
    Batch batch = new Batch(count);
    counted.add(batch);
    return batch;
  }

  void answered(Batch batch, long nowMillis) {
    batch.answeredAt = nowMillis;
  }
}
