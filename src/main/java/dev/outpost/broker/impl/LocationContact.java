package dev.outpost.broker.impl;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * When the hub last heard from a resource location's appliances, which decides how it ages out that location's
 * hosts: their heartbeats come through the appliances, so while none of them reports (the hub was cut off, frozen or
 * restarting, or the location brokered alone) a host's silence says nothing of the host. The hub then keeps the
 * location's hosts; once an appliance reports again, their reports are authoritative, and a host counts as silent
 * only from that moment on. Single-threaded, like the {@link Broker} it goes with.
 */
public final class LocationContact {

  private final Clock clock;
  private final Duration limit;
  private Instant heard;
  private Instant since;

  /**
   * @param limit how long without a report before the location counts as cut off (the silence limit of hosts, so
   *     that a location with a host heartbeating is never cut off)
   */
  public LocationContact(Clock clock, Duration limit) {
    this.clock = Objects.requireNonNull(clock);
    this.limit = Objects.requireNonNull(limit);
  }

  /**
   * Records that an appliance of the location reported; returns how long it had been silent before, when that was
   * longer than the limit (the location is back), else {@link Duration#ZERO}.
   */
  public Duration heard() {
    Instant now = clock.instant();
    Duration gap = heard == null ? Duration.ZERO : Duration.between(heard, now);
    if (heard == null || gap.compareTo(limit) > 0) {
      since = now;
    }
    heard = now;
    return gap.compareTo(limit) > 0 ? gap : Duration.ZERO;
  }

  /** Whether an appliance of the location reported within the limit. */
  public boolean linked() {
    return heard != null && Duration.between(heard, clock.instant()).compareTo(limit) <= 0;
  }

  /** Since when the appliances report without a gap: no host counts as silent from before. */
  public Instant reportingSince() {
    return since == null ? clock.instant() : since;
  }
}
