package dev.outpost.identity;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Counts failed sign-ins per user name and per client address over a sliding window. Once either count
 * reaches its limit, further attempts are refused until the oldest failure leaves the window. Memory is
 * bounded: the least recently seen keys are forgotten first.
 */
public final class LoginThrottle {

  static final int MAX_KEYS = 100_000;

  private final int maxPerUser;
  private final int maxPerAddress;
  private final Duration window;
  private final Clock clock;
  private final Map<String, Deque<Instant>> failures = new LinkedHashMap<>(1024, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Deque<Instant>> eldest) {
      return size() > MAX_KEYS;
    }
  };

  public LoginThrottle(int maxPerUser, int maxPerAddress, Duration window, Clock clock) {
    this.maxPerUser = maxPerUser;
    this.maxPerAddress = maxPerAddress;
    this.window = window;
    this.clock = clock;
  }

  /** How long the caller must wait, or empty when an attempt is allowed now. */
  public synchronized Optional<Duration> blockedFor(String username, String address) {
    Instant now = clock.instant();
    Optional<Duration> user = wait(userKey(username), maxPerUser, now);
    Optional<Duration> addr = wait(addressKey(address), maxPerAddress, now);
    if (user.isPresent() && addr.isPresent()) {
      return Optional.of(user.get().compareTo(addr.get()) > 0 ? user.get() : addr.get());
    }
    return user.isPresent() ? user : addr;
  }

  public synchronized void recordFailure(String username, String address) {
    Instant now = clock.instant();
    failures.computeIfAbsent(userKey(username), k -> new ArrayDeque<>()).addLast(now);
    failures.computeIfAbsent(addressKey(address), k -> new ArrayDeque<>()).addLast(now);
    trim(failures.get(userKey(username)), now, maxPerUser);
    trim(failures.get(addressKey(address)), now, maxPerAddress);
  }

  /** A successful sign-in clears the user's failures (not the address's: one good account must not unlock a spray). */
  public synchronized void recordSuccess(String username) {
    failures.remove(userKey(username));
  }

  private Optional<Duration> wait(String key, int limit, Instant now) {
    Deque<Instant> times = failures.get(key);
    if (times == null) {
      return Optional.empty();
    }
    trim(times, now, limit);
    if (times.size() < limit) {
      return Optional.empty();
    }
    Instant oldest = times.peekFirst();
    return Optional.of(Duration.between(now, oldest.plus(window)));
  }

  private void trim(Deque<Instant> times, Instant now, int limit) {
    Instant cutoff = now.minus(window);
    while (!times.isEmpty() && !times.peekFirst().isAfter(cutoff)) {
      times.removeFirst();
    }
    while (times.size() > limit) {
      times.removeFirst();
    }
  }

  private static String userKey(String username) {
    return "u:" + username.toLowerCase(Locale.ROOT);
  }

  private static String addressKey(String address) {
    return "a:" + address;
  }
}
