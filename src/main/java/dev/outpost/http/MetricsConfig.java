package dev.outpost.http;

import java.util.Objects;

/**
 * {@code GET /metrics}: {@code metrics.*}.
 *
 * @param token the bearer token it requires; empty: it is open. Never shown by {@link #toString()}
 */
public record MetricsConfig(String token) {

  /** No token: {@code /metrics} answers whoever reaches the HTTPS port. */
  public static final String DEFAULT_TOKEN = "";
  /** The defaults, as a configuration without these keys gets them. */
  public static final MetricsConfig DEFAULTS = new MetricsConfig(DEFAULT_TOKEN);

  public MetricsConfig {
    Objects.requireNonNull(token, "metrics.token");
  }

  public boolean restricted() {
    return !token.isEmpty();
  }

  @Override
  public String toString() {
    return "MetricsConfig[token=" + (token.isEmpty() ? "" : "(set)") + "]";
  }
}
