package dev.outpost.lease.impl;

import dev.outpost.lease.Lease;
import dev.outpost.lease.LeaseRejected;
import dev.outpost.lease.LeaseRejected.Reason;
import dev.outpost.lease.Revocation;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What an appliance needs to honour leases without its hub: the site's id, its public lease keys by key id, and
 * the revocations still in force. Immutable; verification is safe from any thread.
 */
public final class LeaseTrust {

  /** Schema version of the JSON form (tunnel answer and file). */
  public static final int VERSION = 1;
  /** How far a lease's issue time may lie ahead of this node's clock. */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
  /** Nothing trusted yet: every lease is refused. */
  public static final LeaseTrust NONE = new LeaseTrust("", List.of(), List.of());

  private final String site;
  private final Map<String, TrustedKey> keys;
  private final Map<String, Revocation> revocations;
  private final Map<String, List<Revocation>> bySubject;

  public LeaseTrust(String site, Collection<TrustedKey> keys, Collection<Revocation> revocations) {
    this.site = site;
    Map<String, TrustedKey> byId = new LinkedHashMap<>();
    keys.forEach(k -> byId.put(k.keyId(), k));
    this.keys = Map.copyOf(byId);
    Map<String, Revocation> byRevocationId = new LinkedHashMap<>();
    revocations.forEach(r -> byRevocationId.put(r.id(), r));
    this.revocations = java.util.Collections.unmodifiableMap(byRevocationId);
    Map<String, List<Revocation>> index = new HashMap<>();
    for (Revocation r : byRevocationId.values()) {
      index.computeIfAbsent(r.kind().wireName() + ":" + r.subject(), k -> new ArrayList<>()).add(r);
    }
    this.bySubject = index;
  }

  public String site() {
    return site;
  }

  public Collection<TrustedKey> keys() {
    return keys.values();
  }

  public Collection<Revocation> revocations() {
    return revocations.values();
  }

  /** Whether a key with this id is trusted (valid or not). */
  public boolean knows(String keyId) {
    return keys.containsKey(keyId);
  }

  /** The same keys with these revocations added (an id already known is kept as it is). */
  public LeaseTrust withRevocations(Collection<Revocation> more) {
    List<Revocation> all = new ArrayList<>(revocations.values());
    more.stream().filter(r -> !revocations.containsKey(r.id())).forEach(all::add);
    return all.size() == revocations.size() ? this : new LeaseTrust(site, keys.values(), all);
  }

  /**
   * The lease inside {@code token} if a key of this site signed it and it is valid at {@code now}; revocation,
   * device binding and resources are for the caller.
   *
   * @throws LeaseRejected with the reason otherwise
   */
  public Lease verify(String token, Instant now) {
    SignedEnvelope envelope;
    Lease lease;
    try {
      envelope = SignedEnvelope.open(Lease.TYPE, token);
      lease = Lease.fromJson(envelope.payload());
    } catch (IllegalArgumentException e) {
      throw new LeaseRejected(Reason.MALFORMED, "the lease is malformed: " + e.getMessage());
    }
    TrustedKey key = keys.get(lease.keyId());
    if (key == null) {
      throw new LeaseRejected(Reason.UNTRUSTED, "the lease is signed with key " + lease.keyId()
          + ", which this site does not know (a lease of another site, or of a key retired long ago)");
    }
    if (!Ed25519.verify(key.key(), envelope.signedInput(), envelope.signature())) {
      throw new LeaseRejected(Reason.UNTRUSTED, "the lease's signature does not verify");
    }
    if (!site.equals(lease.site())) {
      throw new LeaseRejected(Reason.UNTRUSTED, "the lease was issued by another site");
    }
    if (!key.usableAt(now)) {
      throw new LeaseRejected(Reason.UNTRUSTED, "the lease's signing key " + key.keyId()
          + " was retired and stopped verifying at " + key.verifyUntil());
    }
    if (!now.isBefore(lease.expiresAt())) {
      throw new LeaseRejected(Reason.EXPIRED, "the lease expired at " + lease.expiresAt()
          + "; sign in again to get a new one");
    }
    if (lease.issuedAt().isAfter(now.plus(CLOCK_SKEW))) {
      throw new LeaseRejected(Reason.EXPIRED, "the lease claims to be issued in the future (" + lease.issuedAt() + ")");
    }
    return lease;
  }

  /** The revocation that voids {@code lease}, if any. */
  public Optional<Revocation> revoked(Lease lease) {
    for (String subject : List.of("lease:" + lease.id(), "user:" + lease.user().id(), "device:" + lease.device())) {
      for (Revocation r : bySubject.getOrDefault(subject, List.of())) {
        if (r.voids(lease)) {
          return Optional.of(r);
        }
      }
    }
    return Optional.empty();
  }

  public JsonObject toJson() {
    return new JsonObject().put("v", VERSION).put("site", site)
        .put("keys", new JsonArray(keys.values().stream().map(TrustedKey::toJson).toList()))
        .put("revocations", new JsonArray(revocations.values().stream().map(Revocation::toJson).toList()));
  }

  public static LeaseTrust fromJson(JsonObject json) {
    List<TrustedKey> keys = json.getJsonArray("keys", new JsonArray()).stream()
        .map(o -> TrustedKey.fromJson((JsonObject) o)).toList();
    List<Revocation> revocations = json.getJsonArray("revocations", new JsonArray()).stream()
        .map(o -> Revocation.fromJson((JsonObject) o)).toList();
    return new LeaseTrust(json.getString("site", ""), keys, revocations);
  }
}
