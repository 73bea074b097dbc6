package dev.outpost.crypto;

import java.util.Base64;
import org.bouncycastle.asn1.edec.EdECObjectIdentifiers;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * Device public keys as clients send them ({@code deviceKey}: standard base64 of the DER SubjectPublicKeyInfo of
 * an Ed25519 key) and their thumbprint, which is what a lease is bound to: base64url (no padding) of the SHA-256
 * of that DER encoding.
 */
public final class DeviceKeys {

  /** Longest {@code deviceKey} text accepted (an Ed25519 SubjectPublicKeyInfo is 44 bytes, 60 in base64). */
  public static final int MAX_TEXT = 256;

  /** A parsed device key. */
  public record DeviceKey(String text, String thumbprint, Ed25519PublicKeyParameters key) {
  }

  private DeviceKeys() {
  }

  /**
   * Parses a {@code deviceKey} value.
   *
   * @throws IllegalArgumentException with a reason a client can act on
   */
  public static DeviceKey parse(String text) {
    if (text == null || text.isEmpty() || text.length() > MAX_TEXT) {
      throw new IllegalArgumentException("deviceKey must be base64 of an Ed25519 SubjectPublicKeyInfo (at most "
          + MAX_TEXT + " characters)");
    }
    byte[] der;
    try {
      der = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("deviceKey is not base64");
    }
    if (!Base64.getEncoder().encodeToString(der).equals(text)) {
      throw new IllegalArgumentException("deviceKey is not in canonical base64");
    }
    SubjectPublicKeyInfo info;
    try {
      info = SubjectPublicKeyInfo.getInstance(der);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("deviceKey is not a DER SubjectPublicKeyInfo");
    }
    if (info == null || !EdECObjectIdentifiers.id_Ed25519.equals(info.getAlgorithm().getAlgorithm())
        || info.getPublicKeyData().getPadBits() != 0
        || info.getPublicKeyData().getOctets().length != Ed25519PublicKeyParameters.KEY_SIZE) {
      throw new IllegalArgumentException("deviceKey must be an Ed25519 public key");
    }
    byte[] reencoded;
    try {
      reencoded = info.getEncoded("DER");
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("deviceKey is not a DER SubjectPublicKeyInfo");
    }
    if (!java.util.Arrays.equals(reencoded, der)) {
      throw new IllegalArgumentException("deviceKey is not in DER form");
    }
    return new DeviceKey(text, thumbprint(der),
        new Ed25519PublicKeyParameters(info.getPublicKeyData().getOctets()));
  }

  /** base64url(SHA-256(DER SubjectPublicKeyInfo)). */
  public static String thumbprint(byte[] subjectPublicKeyInfo) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Fingerprints.sha256(subjectPublicKeyInfo));
  }
}
