package dev.outpost.identity.directory.impl;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Group memberships resolved at sign-in, per directory user, for a bounded time and number of users: a user
 * who signs in again soon costs no group searches, and a change in the directory shows within the TTL.
 */
final class GroupCache {

  static final int MAX_USERS = 10_000;

  private record Entry(Set<String> groups, Instant expires) {
  }

  private final Duration ttl;
  private final Clock clock;
  private final Map<String, Entry> entries = new LinkedHashMap<>(256, 0.75f, true) {
    private static final long serialVersionUID = 1L;

    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
      return size() > MAX_USERS;
    }
  };

  GroupCache(Duration ttl, Clock clock) {
    this.ttl = ttl;
    this.clock = clock;
  }

  synchronized Optional<Set<String>> get(String directoryId, String userDn) {
    String key = key(directoryId, userDn);
    Entry entry = entries.get(key);
    if (entry == null || !entry.expires().isAfter(clock.instant())) {
      entries.remove(key);
      return Optional.empty();
    }
    return Optional.of(entry.groups());
  }

  synchronized void put(String directoryId, String userDn, Set<String> groups) {
    if (!ttl.isZero()) {
      entries.put(key(directoryId, userDn), new Entry(Set.copyOf(groups), clock.instant().plus(ttl)));
    }
  }

  synchronized void clear() {
    entries.clear();
  }

  private static String key(String directoryId, String userDn) {
    return directoryId + "\n" + userDn.toLowerCase(java.util.Locale.ROOT);
  }
}
