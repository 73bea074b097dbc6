package dev.outpost.http;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The HTTPS listener: {@code http.*}. The loader checks the documented ranges; the constructor refuses what no
 * listener could run with.
 *
 * @param host the address it binds to
 * @param port its port; 0 takes a free one
 * @param publicNames extra names in the node certificate; the first is how leases, the console and the audit log
 *     name this node
 * @param maxBodyBytes the largest request body accepted (413 above)
 * @param headerTimeout how long a client has to send a request's line and headers
 */
public record HttpConfig(String host, int port, List<String> publicNames, int maxBodyBytes, Duration headerTimeout) {

  public static final String DEFAULT_HOST = "0.0.0.0";
  public static final int DEFAULT_PORT = 8443;
  public static final int DEFAULT_MAX_BODY_BYTES = 64 * 1024;
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
  /** The defaults, as a configuration without these keys gets them. */
  public static final HttpConfig DEFAULTS = new HttpConfig(DEFAULT_HOST, DEFAULT_PORT, List.of(),
      DEFAULT_MAX_BODY_BYTES, DEFAULT_HEADER_TIMEOUT);

  public HttpConfig {
    Objects.requireNonNull(host, "http.host");
    publicNames = List.copyOf(publicNames);
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("http.port must be from 0 to 65535, not " + port);
    }
    if (maxBodyBytes < 1) {
      throw new IllegalArgumentException("http.max-body-bytes must be at least 1, not " + maxBodyBytes);
    }
    if (headerTimeout.isNegative() || headerTimeout.isZero()) {
      throw new IllegalArgumentException("http.header-timeout must be longer than zero, not " + headerTimeout);
    }
  }
}
