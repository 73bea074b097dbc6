package dev.outpost.lease.impl;

import java.security.SecureRandom;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/** Ed25519 signatures (RFC 8032, pure) through Bouncy Castle's lightweight API. */
public final class Ed25519 {

  public static final int SIGNATURE_BYTES = Ed25519PrivateKeyParameters.SIGNATURE_SIZE;
  public static final int KEY_BYTES = Ed25519PublicKeyParameters.KEY_SIZE;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ed25519() {
  }

  public static Ed25519PrivateKeyParameters generate() {
    return new Ed25519PrivateKeyParameters(RANDOM);
  }

  public static byte[] sign(Ed25519PrivateKeyParameters key, byte[] message) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, key);
    signer.update(message, 0, message.length);
    return signer.generateSignature();
  }

  public static boolean verify(Ed25519PublicKeyParameters key, byte[] message, byte[] signature) {
    if (signature.length != SIGNATURE_BYTES) {
      return false;
    }
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, key);
    verifier.update(message, 0, message.length);
    return verifier.verifySignature(signature);
  }
}
