package dev.outpost.lease.impl;

import dev.outpost.crypto.Fingerprints;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * One of the site's lease signing keys (Ed25519). Its id is derived from the public key: the first 16 characters
 * of base64url(SHA-256(public key)).
 */
public record SigningKey(String keyId, Ed25519PrivateKeyParameters privateKey, Ed25519PublicKeyParameters publicKey) {

  public static final String ALGORITHM = "Ed25519";

  public SigningKey {
    Objects.requireNonNull(keyId);
    Objects.requireNonNull(privateKey);
    Objects.requireNonNull(publicKey);
  }

  public static SigningKey generate() {
    return of(Ed25519.generate());
  }

  public static SigningKey of(Ed25519PrivateKeyParameters privateKey) {
    Ed25519PublicKeyParameters publicKey = privateKey.generatePublicKey();
    return new SigningKey(keyId(publicKey), privateKey, publicKey);
  }

  public static String keyId(Ed25519PublicKeyParameters publicKey) {
    return StrictBase64.encode(Fingerprints.sha256(publicKey.getEncoded())).substring(0, 16);
  }

  public byte[] sign(byte[] input) {
    return Ed25519.sign(privateKey, input);
  }
}
