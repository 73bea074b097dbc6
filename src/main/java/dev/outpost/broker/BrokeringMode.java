package dev.outpost.broker;

import java.util.Locale;

/** Who brokers for an appliance node right now; {@code mode} in {@code /api/v1/status} and the node status. */
public enum BrokeringMode {
  /** The hub brokers (a separate hub, or the hub role in this process); the node relays to it. */
  HUB,
  /** The hub has not answered for {@code hub.outage-threshold}: the node brokers from its local host cache. */
  LOCAL;

  /** The name on the wire: the constant in lower case. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
