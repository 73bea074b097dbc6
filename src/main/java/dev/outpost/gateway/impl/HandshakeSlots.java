package dev.outpost.gateway.impl;

import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Caps the connections of a node that are still in their handshake, in all and per client address, so that clients
 * that connect and say nothing (or garbage) cannot hold an unbounded number of sockets, and one address holding
 * many cannot starve everyone else's handshakes. Each slot is freed once, by {@link Slot#release()}. Memory: one
 * entry per address that holds a slot now.
 */
public final class HandshakeSlots {

  private static final GatewayRefusal NODE_FULL = new GatewayRefusal(GatewayStatus.BUSY,
      "too many connections are starting; try again");
  private static final GatewayRefusal ADDRESS_FULL = new GatewayRefusal(GatewayStatus.BUSY,
      "too many connections from your address are starting; try again");

  private final int max;
  private final int maxPerAddress;
  private final AtomicInteger inUse = new AtomicInteger();
  private final ConcurrentMap<String, Integer> byAddress = new ConcurrentHashMap<>();

  /**
   * @param max slots of the node
   * @param maxPerAddress slots one client address may hold
   */
  public HandshakeSlots(int max, int maxPerAddress) {
    this.max = max;
    this.maxPerAddress = maxPerAddress;
  }

  /** A slot for a connection from this address, or why there is none. */
  public Admission tryAcquire(String address) {
    Objects.requireNonNull(address);
    // the address's share first: a refusal there must not take (even for an instant) a slot others could use
    if (!takeAddressSlot(address)) {
      return new Admission(null, ADDRESS_FULL);
    }
    while (true) {
      int now = inUse.get();
      if (now >= max) {
        releaseAddressSlot(address);
        return new Admission(null, NODE_FULL);
      }
      if (inUse.compareAndSet(now, now + 1)) {
        return new Admission(new Slot(address), null);
      }
    }
  }

  public int inUse() {
    return inUse.get();
  }

  private boolean takeAddressSlot(String address) {
    boolean[] taken = new boolean[1];
    byAddress.compute(address, (a, held) -> {
      int count = held == null ? 0 : held;
      taken[0] = count < maxPerAddress;
      return taken[0] ? count + 1 : held;
    });
    return taken[0];
  }

  private void releaseAddressSlot(String address) {
    byAddress.computeIfPresent(address, (a, held) -> held == 1 ? null : held - 1);
  }

  /**
   * The answer of {@link #tryAcquire}: a slot, or the refusal to send.
   *
   * @param slot {@code null} when refused
   * @param refusal {@code null} when a slot was taken
   */
  public record Admission(Slot slot, GatewayRefusal refusal) {
  }

  /** One taken slot. */
  public final class Slot {
    private final String address;
    private boolean released;

    private Slot(String address) {
      this.address = address;
    }

    public synchronized void release() {
      if (!released) {
        released = true;
        inUse.decrementAndGet();
        releaseAddressSlot(address);
      }
    }
  }
}
