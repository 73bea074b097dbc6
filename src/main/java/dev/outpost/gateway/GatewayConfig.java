package dev.outpost.gateway;

import java.time.Duration;
import java.util.Objects;

/**
 * The session gateway (raw TLS port and the WebSocket on the HTTPS port): {@code gateway.*}. The loader checks the
 * documented ranges; the constructor refuses what no gateway could run with.
 *
 * @param port the raw TLS port; 0 takes a free one
 * @param idleTimeout a stream with no bytes in either direction for this long is closed
 * @param handshakeTimeout the time a client has to complete TLS and present its ticket
 * @param maxHandshakes connections allowed at once on this node that have not presented a valid ticket yet
 * @param maxHandshakesPerAddress how many of the {@code maxHandshakes} one client address may hold at once
 * @param connectTimeout how long the gateway waits for a session host to accept the connection
 */
public record GatewayConfig(int port, Duration idleTimeout, Duration handshakeTimeout, int maxHandshakes,
    int maxHandshakesPerAddress, Duration connectTimeout) {

  public static final int DEFAULT_PORT = 2598;
  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);
  public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_HANDSHAKES = 2000;
  public static final int DEFAULT_MAX_HANDSHAKES_PER_ADDRESS = 100;
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** The defaults, as a configuration without these keys gets them. */
  public static final GatewayConfig DEFAULTS = new GatewayConfig(DEFAULT_PORT, DEFAULT_IDLE_TIMEOUT,
      DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_HANDSHAKES, DEFAULT_MAX_HANDSHAKES_PER_ADDRESS, DEFAULT_CONNECT_TIMEOUT);

  public GatewayConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("gateway.port must be from 0 to 65535, not " + port);
    }
    positive("gateway.idle-timeout", idleTimeout);
    positive("gateway.handshake-timeout", handshakeTimeout);
    positive("gateway.connect-timeout", connectTimeout);
    if (maxHandshakes < 1 || maxHandshakesPerAddress < 1) {
      throw new IllegalArgumentException("gateway.max-handshakes and gateway.max-handshakes-per-address must be at "
          + "least 1, not " + maxHandshakes + " and " + maxHandshakesPerAddress);
    }
  }

  private static void positive(String key, Duration value) {
    Objects.requireNonNull(value, key);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(key + " must be longer than zero, not " + value);
    }
  }
}
