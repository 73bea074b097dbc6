package dev.outpost.cluster;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * A Hazelcast map of strings whose values are sealed by {@link ClusterSeal} for their map and key: what callers
 * put is sealed on the way in, what they read is opened on the way out, and a value that does not open reads as
 * absent. Keys stay in clear (Hazelcast partitions by them): keep secrets out of keys, e.g. store a ticket under
 * its hash. The operations are those of {@link IMap} that Outpost uses; blocking ones must run on a worker.
 */
public final class SealedMap {

  private final IMap<String, String> map;
  private final ClusterSeal seal;
  private final String name;

  public SealedMap(IMap<String, String> map, ClusterSeal seal) {
    this.map = Objects.requireNonNull(map);
    this.seal = Objects.requireNonNull(seal);
    this.name = map.getName();
  }

  /** The map {@code name} of {@code hazelcast}, sealed with {@code seal}. */
  public static SealedMap of(HazelcastInstance hazelcast, String name, ClusterSeal seal) {
    return new SealedMap(hazelcast.getMap(name), seal);
  }

  public String name() {
    return name;
  }

  public CompletionStage<Void> setAsync(String key, String value) {
    return map.setAsync(key, sealed(key, value));
  }

  public CompletionStage<Void> setAsync(String key, String value, long ttl, TimeUnit unit) {
    return map.setAsync(key, sealed(key, value), ttl, unit);
  }

  /** The value at {@code key}, or {@code null}. */
  public CompletionStage<String> getAsync(String key) {
    return map.getAsync(key).thenApply(value -> opened(key, value));
  }

  /** Removes the entry at {@code key} and hands its value to exactly one caller in the cluster, or {@code null}. */
  public CompletionStage<String> removeAsync(String key) {
    return map.removeAsync(key).thenApply(value -> opened(key, value));
  }

  /** Puts a value and returns the one it replaced, or {@code null}. */
  public CompletionStage<String> putAsync(String key, String value) {
    return map.putAsync(key, sealed(key, value)).thenApply(previous -> opened(key, previous));
  }

  /** Puts a value for {@code ttl} and returns the one it replaced, or {@code null}. */
  public CompletionStage<String> putAsync(String key, String value, long ttl, TimeUnit unit) {
    return map.putAsync(key, sealed(key, value), ttl, unit).thenApply(previous -> opened(key, previous));
  }

  /** Blocking. */
  public String get(String key) {
    return opened(key, map.get(key));
  }

  /** Blocking. */
  public void set(String key, String value) {
    map.set(key, sealed(key, value));
  }

  /** Blocking. */
  public void set(String key, String value, long ttl, TimeUnit unit) {
    map.set(key, sealed(key, value), ttl, unit);
  }

  /** Blocking; the value replaced, or {@code null}. */
  public String put(String key, String value) {
    return opened(key, map.put(key, sealed(key, value)));
  }

  /**
   * Blocking; the value already there (which stays), or {@code null} when this one was put. A value that does not
   * open is replaced, not kept: nobody of this site wrote it.
   */
  public String putIfAbsent(String key, String value) {
    String mine = sealed(key, value);
    while (true) {
      String existing = map.putIfAbsent(key, mine);
      if (existing == null) {
        return null;
      }
      String opened = opened(key, existing);
      if (opened != null) {
        return opened;
      }
      if (map.replace(key, existing, mine)) {
        return null;
      }
    }
  }

  /** Blocking; removes the entry only while it still holds {@code value}. */
  public boolean remove(String key, String value) {
    return map.remove(key, sealed(key, value));
  }

  /** Blocking. */
  public void delete(String key) {
    map.delete(key);
  }

  /** Blocking; the entries of {@code keys} that exist and open. */
  public Map<String, String> getAll(Set<String> keys) {
    return opened(map.getAll(keys));
  }

  /** Blocking. */
  public Set<String> keySet() {
    return map.keySet();
  }

  /** Blocking; every entry that opens, in no particular order. */
  public Map<String, String> entries() {
    return opened(map);
  }

  /** Blocking; every value that opens. */
  public Collection<String> values() {
    return entries().values();
  }

  /**
   * Calls {@code listener} with key and value for every entry added or updated in the cluster (on a Hazelcast
   * event thread); values that do not open are not passed on.
   */
  public UUID addListener(BiConsumer<String, String> listener) {
    return map.addEntryListener(new Listener(listener), true);
  }

  private final class Listener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String> {
    private final BiConsumer<String, String> listener;

    Listener(BiConsumer<String, String> listener) {
      this.listener = listener;
    }

    @Override
    public void entryAdded(EntryEvent<String, String> event) {
      pass(event);
    }

    @Override
    public void entryUpdated(EntryEvent<String, String> event) {
      pass(event);
    }

    private void pass(EntryEvent<String, String> event) {
      String value = opened(event.getKey(), event.getValue());
      if (value != null) {
        listener.accept(event.getKey(), value);
      }
    }
  }

  private Map<String, String> opened(Map<String, String> raw) {
    Map<String, String> result = new LinkedHashMap<>();
    raw.forEach((key, value) -> {
      String opened = opened(key, value);
      if (opened != null) {
        result.put(key, opened);
      }
    });
    return result;
  }

  private String sealed(String key, String value) {
    return seal.seal(name, key, value);
  }

  private String opened(String key, String value) {
    return seal.open(name, key, value).orElse(null);
  }
}
