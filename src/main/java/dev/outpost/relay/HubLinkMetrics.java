package dev.outpost.relay;

import dev.outpost.broker.BrokeringMode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The hub link as operators alert on it: {@code outpost_hub_mode{mode="hub"|"local"}} is 1 for the mode this
 * appliance brokers in now and 0 for the other, and {@code outpost_hub_link_up} is 1 while the hub answers.
 */
public final class HubLinkMetrics {

  private HubLinkMetrics() {
  }

  /**
   * Registers the gauges.
   *
   * @param mode who brokers now: the hub, or (with a separate hub that cannot be reached) this appliance
   */
  public static void bind(MeterRegistry registry, HubChannel link, Supplier<BrokeringMode> mode) {
    Objects.requireNonNull(link);
    Objects.requireNonNull(mode);
    for (BrokeringMode each : BrokeringMode.values()) {
      Gauge.builder("outpost.hub.mode", () -> mode.get() == each ? 1 : 0).tag("mode", each.wireName())
          .description("1 for the mode this appliance brokers in now: hub (the hub brokers) or local (outage mode)")
          .register(registry);
    }
    Gauge.builder("outpost.hub.link.up", () -> link.reachable() ? 1 : 0)
        .description("1 while the hub answers this appliance's link, else 0").register(registry);
  }
}
