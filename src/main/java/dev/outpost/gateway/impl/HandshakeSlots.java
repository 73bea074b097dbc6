package dev.outpost.gateway.impl;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the connections of a node that are still in their handshake, so that clients that connect and say nothing
 * (or garbage) cannot hold an unbounded number of sockets; each slot is freed once, by {@link Slot#release()}.
 */
public final class HandshakeSlots {

  private final int max;
  private final AtomicInteger inUse = new AtomicInteger();

  public HandshakeSlots(int max) {
    this.max = max;
  }

  /** A slot, or {@code null} when all are taken. */
  public Slot tryAcquire() {
    while (true) {
      int now = inUse.get();
      if (now >= max) {
        return null;
      }
      if (inUse.compareAndSet(now, now + 1)) {
        return new Slot();
      }
    }
  }

  public int inUse() {
    return inUse.get();
  }

  /** One taken slot. */
  public final class Slot {
    private boolean released;

    public synchronized void release() {
      if (!released) {
        released = true;
        inUse.decrementAndGet();
      }
    }
  }
}
