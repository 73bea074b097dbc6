package dev.outpost.identity;

import java.time.Duration;
import java.util.Objects;

/**
 * Sign-in and sessions: {@code identity.*}. The loader checks the documented ranges; the constructor refuses what
 * no sign-in could run with.
 *
 * @param sessionTtl how long a sign-in stays valid
 * @param maxFailuresPerUser failed sign-ins allowed per user name within the window, site-wide
 * @param maxFailuresPerAddress failed sign-ins allowed per client address within the window, site-wide
 * @param loginWindow the window over which failed sign-ins are counted
 * @param rememberDevice how long a remembered device skips the second factor; zero: devices are never remembered
 */
public record IdentityConfig(Duration sessionTtl, int maxFailuresPerUser, int maxFailuresPerAddress,
    Duration loginWindow, Duration rememberDevice) {

  public static final Duration DEFAULT_SESSION_TTL = Duration.ofHours(8);
  public static final int DEFAULT_MAX_FAILURES_PER_USER = 5;
  public static final int DEFAULT_MAX_FAILURES_PER_ADDRESS = 20;
  public static final Duration DEFAULT_LOGIN_WINDOW = Duration.ofMinutes(5);
  public static final Duration DEFAULT_REMEMBER_DEVICE = Duration.ofDays(30);
  /** The defaults, as a configuration without these keys gets them. */
  public static final IdentityConfig DEFAULTS = new IdentityConfig(DEFAULT_SESSION_TTL, DEFAULT_MAX_FAILURES_PER_USER,
      DEFAULT_MAX_FAILURES_PER_ADDRESS, DEFAULT_LOGIN_WINDOW, DEFAULT_REMEMBER_DEVICE);

  public IdentityConfig {
    positive("identity.session-ttl", sessionTtl);
    positive("identity.login.window", loginWindow);
    Objects.requireNonNull(rememberDevice, "identity.remember-device");
    if (rememberDevice.isNegative()) {
      throw new IllegalArgumentException("identity.remember-device must not be negative, not " + rememberDevice);
    }
    if (maxFailuresPerUser < 1 || maxFailuresPerAddress < 1) {
      throw new IllegalArgumentException("identity.login.max-failures-per-user and -per-address must be at least 1, "
          + "not " + maxFailuresPerUser + " and " + maxFailuresPerAddress);
    }
  }

  private static void positive(String key, Duration value) {
    Objects.requireNonNull(value, key);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(key + " must be longer than zero, not " + value);
    }
  }
}
