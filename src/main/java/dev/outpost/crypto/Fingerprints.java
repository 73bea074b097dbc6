package dev.outpost.crypto;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/** SHA-256 fingerprints of certificates, in the colon form shown to people and the compact form in tokens. */
public final class Fingerprints {

  private Fingerprints() {
  }

  /** Lower-case hex SHA-256 of the certificate's DER encoding, no separators. */
  public static String sha256(X509Certificate certificate) {
    try {
      return HexFormat.of().formatHex(sha256(certificate.getEncoded()));
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("certificate cannot be encoded", e);
    }
  }

  /** The fingerprint as people read it: upper-case hex pairs joined by colons. */
  public static String display(String compact) {
    return HexFormat.ofDelimiter(":").withUpperCase().formatHex(HexFormat.of().parseHex(compact));
  }

  /** Accepts either form (any case, with or without colons) and returns the compact form, or throws. */
  public static String normalize(String any) {
    String compact = any.replace(":", "").trim().toLowerCase(Locale.ROOT);
    if (!compact.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA-256 fingerprint (64 hex digits, colons optional)");
    }
    return compact;
  }

  public static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
