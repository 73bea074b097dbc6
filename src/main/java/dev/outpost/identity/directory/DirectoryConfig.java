package dev.outpost.identity.directory;

import java.time.Duration;
import java.util.Objects;

/**
 * Directory (LDAP/AD) sign-in on appliances: {@code directory.*}. The loader checks the documented ranges; the
 * constructor refuses what no directory sign-in could run with.
 *
 * @param offlineWindow how long after their last directory sign-in users still sign in while the directory cannot
 *     be reached; zero turns offline sign-in off
 * @param connectTimeout how long to wait for a directory server to accept a connection
 * @param timeout how long any one directory operation may take
 * @param groupCacheTtl how long a user's groups are reused for their next sign-ins; zero: always ask
 * @param settingsRefresh how often an appliance reads its location's directory settings again
 */
public record DirectoryConfig(Duration offlineWindow, Duration connectTimeout, Duration timeout,
    Duration groupCacheTtl, Duration settingsRefresh) {

  public static final Duration DEFAULT_OFFLINE_WINDOW = Duration.ofDays(7);
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_GROUP_CACHE_TTL = Duration.ofMinutes(5);
  public static final Duration DEFAULT_SETTINGS_REFRESH = Duration.ofSeconds(30);
  /** The defaults, for tools and tests that build a service by hand. */
  public static final DirectoryConfig DEFAULTS = new DirectoryConfig(DEFAULT_OFFLINE_WINDOW, DEFAULT_CONNECT_TIMEOUT,
      DEFAULT_TIMEOUT, DEFAULT_GROUP_CACHE_TTL, DEFAULT_SETTINGS_REFRESH);

  public DirectoryConfig {
    notNegative("directory.offline-window", offlineWindow, false);
    notNegative("directory.connect-timeout", connectTimeout, true);
    notNegative("directory.timeout", timeout, true);
    notNegative("directory.group-cache-ttl", groupCacheTtl, false);
    notNegative("directory.settings-refresh", settingsRefresh, true);
  }

  private static void notNegative(String key, Duration value, boolean positive) {
    Objects.requireNonNull(value, key);
    if (value.isNegative() || positive && value.isZero()) {
      throw new IllegalArgumentException(key + " must be " + (positive ? "longer than zero" : "zero or longer")
          + ", not " + value);
    }
  }
}
