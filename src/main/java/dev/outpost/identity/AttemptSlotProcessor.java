package dev.outpost.identity;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.ExtendedMapEntry;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Takes or gives back one slot of a sliding-window attempt counter, run by Hazelcast on the member that owns the
 * key, so that the check and the update are one atomic step for the whole cluster (and replayed as-is on the
 * backup). Taking answers 0 when a slot was taken at {@code now}, else the milliseconds until one frees; giving
 * back answers 0. Each write sets the entry's time-to-live to the end of its window, the only way it leaves the
 * map. The counters only restrict, so their values are plain numbers.
 */
public final class AttemptSlotProcessor implements EntryProcessor<String, long[], Long> {

  private static final long serialVersionUID = 1L;

  private final boolean take;
  private final long now;
  private final long stamp;
  private final int limit;
  private final long windowMs;

  private AttemptSlotProcessor(boolean take, long now, long stamp, int limit, long windowMs) {
    this.take = take;
    this.now = now;
    this.stamp = stamp;
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** Takes a slot at {@code now} unless {@code limit} are taken within the window. */
  static AttemptSlotProcessor take(long now, int limit, long windowMs) {
    return new AttemptSlotProcessor(true, now, now, limit, windowMs);
  }

  /** Gives back the slot taken at {@code stamp}. */
  static AttemptSlotProcessor giveBack(long now, long stamp, long windowMs) {
    return new AttemptSlotProcessor(false, now, stamp, 0, windowMs);
  }

  @Override
  public Long process(Map.Entry<String, long[]> entry) {
    long[] live = SlidingWindow.live(entry.getValue(), now, windowMs);
    if (!take) {
      store(entry, SlidingWindow.without(live, stamp));
      return 0L;
    }
    long wait = SlidingWindow.waitMillis(live, limit, now, windowMs);
    if (wait == 0) {
      store(entry, SlidingWindow.with(live, now));
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
