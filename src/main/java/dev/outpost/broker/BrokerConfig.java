package dev.outpost.broker;

import java.time.Duration;
import java.util.Objects;

/**
 * Brokering: {@code broker.*}. Read where the hub role runs (a separate hub or an all-in-one appliance) and by the
 * outage-mode broker. The loader checks the documented ranges; the constructor refuses what no broker could run
 * with.
 *
 * @param heartbeatInterval how often agents report; a host silent for 3 intervals is unregistered
 * @param ticketTtl how long a launch ticket stays valid (single use)
 */
public record BrokerConfig(Duration heartbeatInterval, Duration ticketTtl) {

  public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_TICKET_TTL = Duration.ofSeconds(100);
  /** The defaults, as a configuration without these keys gets them. */
  public static final BrokerConfig DEFAULTS = new BrokerConfig(DEFAULT_HEARTBEAT_INTERVAL, DEFAULT_TICKET_TTL);

  public BrokerConfig {
    positive("broker.heartbeat-interval", heartbeatInterval);
    positive("broker.ticket-ttl", ticketTtl);
  }

  private static void positive(String key, Duration value) {
    Objects.requireNonNull(value, key);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(key + " must be longer than zero, not " + value);
    }
  }
}
