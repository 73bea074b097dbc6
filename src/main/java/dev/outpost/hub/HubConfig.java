package dev.outpost.hub;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * The hub: {@code hub.*}. On an appliance, how it reaches a separate hub ({@code url} is {@code null} when the hub
 * role runs in-process); on {@code outpost hub}, where it listens. The loader checks the documented ranges; the
 * constructor refuses what neither could run with.
 *
 * @param url a separate hub, or {@code null}
 * @param publicUrl where external clients reach the hub, or {@code null} for {@code url}
 * @param token the connector token for the first start with a separate hub; empty when not given
 * @param host the address {@code outpost hub} binds to
 * @param port the HTTPS port of {@code outpost hub}; 0 takes a free one
 * @param pingInterval how often an appliance checks that the hub answers
 * @param outageThreshold how long the hub may stay silent before the appliance brokers alone
 * @param syncInterval how often an appliance refreshes its local host cache and lease trust
 */
public record HubConfig(URI url, URI publicUrl, String token, String host, int port, Duration pingInterval,
    Duration outageThreshold, Duration syncInterval) {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 9443;
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(2);
  public static final Duration DEFAULT_OUTAGE_THRESHOLD = Duration.ofSeconds(10);
  public static final Duration DEFAULT_SYNC_INTERVAL = Duration.ofSeconds(10);
  /** The defaults, as a configuration without these keys gets them: the hub role in-process. */
  public static final HubConfig DEFAULTS = new HubConfig(null, null, "", DEFAULT_HOST, DEFAULT_PORT,
      DEFAULT_PING_INTERVAL, DEFAULT_OUTAGE_THRESHOLD, DEFAULT_SYNC_INTERVAL);

  public HubConfig {
    Objects.requireNonNull(token, "hub.token");
    Objects.requireNonNull(host, "hub.host");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("hub.port must be from 0 to 65535, not " + port);
    }
    positive("hub.ping-interval", pingInterval);
    positive("hub.outage-threshold", outageThreshold);
    positive("hub.sync-interval", syncInterval);
  }

  public boolean inProcess() {
    return url == null;
  }

  /** Where external clients reach the hub. */
  public URI clientUrl() {
    return publicUrl != null ? publicUrl : url;
  }

  private static void positive(String key, Duration value) {
    Objects.requireNonNull(value, key);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(key + " must be longer than zero, not " + value);
    }
  }
}
