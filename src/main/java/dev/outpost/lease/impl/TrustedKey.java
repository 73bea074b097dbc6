package dev.outpost.lease.impl;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * A site public key that verifies leases: the active signing key ({@code verifyUntil} null), or a retired one that
 * keeps verifying until the last lease it signed has expired.
 */
public record TrustedKey(String keyId, Ed25519PublicKeyParameters key, Instant verifyUntil) {

  public TrustedKey {
    Objects.requireNonNull(keyId);
    Objects.requireNonNull(key);
  }

  public boolean usableAt(Instant now) {
    return verifyUntil == null || now.isBefore(verifyUntil);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("kid", keyId).put("alg", SigningKey.ALGORITHM)
        .put("key", StrictBase64.encode(key.getEncoded()));
    if (verifyUntil != null) {
      json.put("verifyUntil", verifyUntil.toString());
    }
    return json;
  }

  public static TrustedKey fromJson(JsonObject json) {
    if (!SigningKey.ALGORITHM.equals(json.getString("alg"))) {
      throw new IllegalArgumentException("unsupported lease key algorithm " + json.getString("alg"));
    }
    String until = json.getString("verifyUntil");
    return new TrustedKey(json.getString("kid"), new Ed25519PublicKeyParameters(StrictBase64.decode(
        json.getString("key"))), until == null ? null : Instant.parse(until));
  }
}
