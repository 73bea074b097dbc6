package dev.outpost.crypto;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A one-line enrollment secret that also says whom to trust: {@code <KIND>.<ca sha256 hex>.<secret>}. The
 * enrolling side pins the server's CA by the fingerprint before it sends the secret; the server stores only
 * {@link SecureTokens#hash} of the secret.
 *
 * @param kind what the token enrolls, e.g. {@code OPC1} (an appliance with a hub)
 */
public record EnrollmentToken(String kind, String caFingerprint, String secret) {

  private static final Pattern FORMAT = Pattern.compile("([A-Z]{3}[0-9])\\.([0-9a-f]{64})\\.([A-Za-z0-9_-]{32,128})");

  public static EnrollmentToken create(String kind, String caFingerprint) {
    return new EnrollmentToken(kind, caFingerprint, SecureTokens.random(32));
  }

  /** Parses a token of the expected kind, or throws with a message fit for the user. */
  public static EnrollmentToken parse(String text, String expectedKind) {
    Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not an Outpost enrollment token (expected " + expectedKind
          + ".<fingerprint>.<secret>); copy it again from where it was created");
    }
    if (!m.group(1).equals(expectedKind)) {
      throw new IllegalArgumentException("this is a " + m.group(1) + " token, not a " + expectedKind
          + " token; use the token made for this purpose");
    }
    return new EnrollmentToken(m.group(1), m.group(2), m.group(3));
  }

  public String text() {
    return kind + "." + caFingerprint + "." + secret;
  }

  public String secretHash() {
    return SecureTokens.hash(secret);
  }

  @Override
  public String toString() {
    return kind + "." + caFingerprint + ".(secret)";
  }
}
