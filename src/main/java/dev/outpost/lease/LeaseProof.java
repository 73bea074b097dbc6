package dev.outpost.lease;

import dev.outpost.crypto.DeviceKeys;
import dev.outpost.lease.LeaseRejected.Reason;
import dev.outpost.lease.impl.Ed25519;
import dev.outpost.lease.impl.SignedEnvelope;
import dev.outpost.lease.impl.StrictBase64;
import io.vertx.core.json.JsonObject;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.time.Instant;

/**
 * What a client sends with a lease to show that it holds the device key the lease is bound to: a fresh timestamp
 * and nonce, the lease id and the resource asked for, signed with the device's private key (same compact form as
 * a lease, context {@link #TYPE}; see docs/protocols/lease.md).
 *
 * @param deviceKey the device public key as in {@code deviceKey} at sign-in; its thumbprint must match the lease
 * @param issuedAt when the client made the proof (millisecond precision)
 */
public record LeaseProof(String leaseId, String resource, Instant issuedAt, String nonce, String deviceKey) {

  public static final int VERSION = 1;
  public static final String TYPE = "outpost-lease-proof";
  private static final SecureRandom RANDOM = new SecureRandom();

  public JsonObject toJson() {
    return new JsonObject().put("v", VERSION).put("typ", TYPE).put("lease", leaseId).put("resource", resource)
        .put("iat", issuedAt.toEpochMilli()).put("nonce", nonce).put("key", deviceKey);
  }

  /**
   * Makes and signs a proof with a fresh nonce (client side).
   *
   * @param deviceKey the device's private key (Ed25519, as the JDK loads it)
   * @param publicKeyText the matching public key as sent at sign-in
   */
  public static String create(String leaseId, String resource, Instant now, PrivateKey deviceKey,
      String publicKeyText) {
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    LeaseProof proof = new LeaseProof(leaseId, resource, now, StrictBase64.encode(nonce), publicKeyText);
    return SignedEnvelope.seal(TYPE, proof.toJson(), input -> {
      try {
        Signature signature = Signature.getInstance("Ed25519");
        signature.initSign(deviceKey);
        signature.update(input);
        return signature.sign();
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot sign with the device key: " + e.getMessage(), e);
      }
    });
  }

  /**
   * Reads a proof and checks its signature against the device key it names. Freshness, replay and the binding to
   * a lease are for the caller.
   *
   * @throws LeaseRejected when the proof is malformed or its signature does not verify
   */
  public static Verified verify(String token) {
    SignedEnvelope envelope;
    LeaseProof proof;
    DeviceKeys.DeviceKey key;
    try {
      envelope = SignedEnvelope.open(TYPE, token);
      proof = fromJson(envelope.payload());
      key = DeviceKeys.parse(proof.deviceKey());
    } catch (IllegalArgumentException e) {
      throw new LeaseRejected(Reason.MALFORMED, "the proof is malformed: " + e.getMessage());
    }
    if (!Ed25519.verify(key.key(), envelope.signedInput(), envelope.signature())) {
      throw new LeaseRejected(Reason.PROOF, "the proof's signature does not verify with its device key");
    }
    return new Verified(proof, key.thumbprint());
  }

  /** A proof whose signature verified, and the thumbprint of the key that made it. */
  public record Verified(LeaseProof proof, String thumbprint) {
  }

  static LeaseProof fromJson(JsonObject json) {
    if (!(json.getValue("v") instanceof Integer v) || v != VERSION || !TYPE.equals(json.getValue("typ"))) {
      throw new IllegalArgumentException("it is not a version " + VERSION + " lease proof");
    }
    if (!(json.getValue("iat") instanceof Number iat) || iat instanceof Double || iat instanceof Float) {
      throw new IllegalArgumentException("member 'iat' must be an integer");
    }
    String nonce = Lease.text(json, "nonce");
    if (nonce.length() < 16 || nonce.length() > 64) {
      throw new IllegalArgumentException("member 'nonce' must be 16 to 64 characters");
    }
    return new LeaseProof(Lease.text(json, "lease"), Lease.text(json, "resource"),
        Instant.ofEpochMilli(iat.longValue()), nonce, Lease.text(json, "key"));
  }
}
