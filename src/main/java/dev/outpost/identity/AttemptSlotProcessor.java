package dev.outpost.identity;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Takes, settles or gives back one slot of a sliding-window attempt counter, run by Hazelcast on the member that
 * owns the key, so that the check and the update are one atomic step for the whole cluster (and replayed as-is on
 * the backup). Taking answers 0 when a pending slot was taken, {@link SlidingWindow#BUSY} when only pending slots
 * stand in the way, else the milliseconds until a settled one leaves; settling and giving back answer 0. Each write
 * sets the entry's time-to-live to the end of its window, the only way it leaves the map. The counters only
 * restrict, so their values are plain numbers.
 */
public final class AttemptSlotProcessor implements EntryProcessor<String, long[], Long> {

  private static final long serialVersionUID = 1L;

  /** What the processor does to the entry. */
  private enum Op { TAKE, SETTLE, GIVE_BACK }

  private final Op op;
  private final long now;
  private final long stamp;
  private final int limit;
  private final long windowMs;

  private AttemptSlotProcessor(Op op, long now, long stamp, int limit, long windowMs) {
    this.op = op;
    this.now = now;
    this.stamp = stamp;
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Takes a pending slot stamped {@link SlidingWindow#pending}({@code now}) unless {@code limit} are taken. */
  static AttemptSlotProcessor take(long now, int limit, long windowMs) {
    return new AttemptSlotProcessor(Op.TAKE, now, SlidingWindow.pending(now), limit, windowMs);
  }

  /** Settles the pending slot stamped {@code stamp}: it counts until it leaves the window. */
  static AttemptSlotProcessor settle(long now, long stamp, long windowMs) {
    return new AttemptSlotProcessor(Op.SETTLE, now, stamp, 0, windowMs);
  }

  /** Gives back the slot stamped {@code stamp}. */
  static AttemptSlotProcessor giveBack(long now, long stamp, long windowMs) {
    return new AttemptSlotProcessor(Op.GIVE_BACK, now, stamp, 0, windowMs);
  }

  @Override
  public Long process(Map.Entry<String, long[]> entry) {
    long[] live = SlidingWindow.live(entry.getValue(), now, windowMs);
    if (op == Op.GIVE_BACK) {
      store(entry, SlidingWindow.without(live, stamp));
      return 0L;
    }
    if (op == Op.SETTLE) {
      store(entry, SlidingWindow.settled(live, stamp));
      return 0L;
    }
    long wait = SlidingWindow.refusal(live, limit, now, windowMs);
    if (wait == 0) {
      store(entry, SlidingWindow.with(live, stamp));
    } else if (live != entry.getValue()) {
      store(entry, live); // only when slots left the window: a refusal alone writes nothing (and no backup)
    }
    return wait;
  }

  private void store(Map.Entry<String, long[]> entry, long[] live) {
    if (live.length == 0) {
      if (entry.getValue() != null) {
        entry.setValue(null);
      }
    } else if (entry instanceof ExtendedMapEntry<String, long[]> extended) {
      extended.setValue(live, SlidingWindow.keepMillis(live, now, windowMs), TimeUnit.MILLISECONDS);
    } else {
      entry.setValue(live);
    }
  }
}
