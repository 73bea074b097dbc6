package dev.outpost.lease.impl;

import dev.outpost.lease.Lease;
import java.util.Objects;

/** Signs lease documents with one of the site's keys into the compact token form. */
public final class LeaseSigner {

  private final SigningKey key;

  public LeaseSigner(SigningKey key) {
    this.key = Objects.requireNonNull(key);
  }

  public String keyId() {
    return key.keyId();
  }

  /** The lease token; the lease must name this signer's key. */
  public String sign(Lease lease) {
    if (!key.keyId().equals(lease.keyId())) {
      throw new IllegalArgumentException("the lease names key " + lease.keyId() + ", not " + key.keyId());
    }
    return SignedEnvelope.seal(Lease.TYPE, lease.toJson(), key::sign);
  }
}
