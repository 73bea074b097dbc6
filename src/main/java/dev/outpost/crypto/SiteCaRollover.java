package dev.outpost.crypto;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A site CA with its key and, when it takes over from another, the rotation's overlap: what one node makes when an
 * admin rotates the site CA, and what every node of the site adopts ({@link SiteCertificates#adopt(SiteCaRollover)}).
 * The key leaves this package only sealed ({@link SiteCaSeal}).
 */
public final class SiteCaRollover {

  private final X509Certificate ca;
  private final PrivateKey key;
  private final SiteCertificates.Rotation rotation;

  SiteCaRollover(X509Certificate ca, PrivateKey key, SiteCertificates.Rotation rotation) {
    this.ca = Objects.requireNonNull(ca);
    this.key = Objects.requireNonNull(key);
    this.rotation = rotation;
  }

  /** The CA that issues from now on. */
  public X509Certificate ca() {
    return ca;
  }

  PrivateKey key() {
    return key;
  }

  /** The overlap with the CA it replaces; {@code null} for a CA that replaces none. */
  public SiteCertificates.Rotation rotation() {
    return rotation;
  }

  /** Compact SHA-256 fingerprint of {@link #ca()}. */
  public String caFingerprint() {
    return Fingerprints.sha256(ca);
  }
}
