package dev.outpost.crypto;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text of an enrollment token: {@code <kind>.<ca-sha256>.<secret>}. {@code <kind>} names what it enrolls
 * ({@link #AGENT} a session host with an appliance, {@link #CONNECTOR} an appliance with a hub),
 * {@code <ca-sha256>} is the server's CA fingerprint (64 lower-case hex digits) so that the enrolling side
 * can trust the server before it has the CA, and {@code <secret>} is 256 random bits in unpadded base64url
 * (43 characters). Only {@link #secretHash()} is stored; the token itself is shown once.
 */
public record EnrollmentToken(String kind, String caFingerprint, String secret) {

  /** Enrolls a session host's agent with an appliance. */
  public static final String AGENT = "OPT1";
  /** Enrolls an appliance with a hub. */
  public static final String CONNECTOR = "OPC1";
  public static final int SECRET_BYTES = 32;
  private static final Pattern FORMAT = Pattern.compile("(OP[A-Z][0-9])\\.([0-9a-f]{64})\\.([A-Za-z0-9_-]{43})");

  public EnrollmentToken {
    Objects.requireNonNull(kind);
    Objects.requireNonNull(caFingerprint);
    Objects.requireNonNull(secret);
  }

  /** A fresh token of this kind for the server with this CA fingerprint (compact form). */
  public static EnrollmentToken create(String kind, String caFingerprint) {
    return new EnrollmentToken(kind, caFingerprint, SecureTokens.random(SECRET_BYTES));
  }

  /** The token in {@code text} if it has this kind and format (surrounding blanks are ignored). */
  public static Optional<EnrollmentToken> parse(String text, String kind) {
    if (text == null) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(text.strip());
    return m.matches() && m.group(1).equals(kind) ? Optional.of(new EnrollmentToken(m.group(1), m.group(2), m.group(3)))
        : Optional.empty();
  }

  /** The token as people paste it. */
  public String text() {
    return kind + "." + caFingerprint + "." + secret;
  }

  /** What the database keeps. */
  public String secretHash() {
    return SecureTokens.hash(secret);
  }

  @Override
  public String toString() {
    return "EnrollmentToken[" + kind + ", ca=" + caFingerprint + ", secret=(hidden)]";
  }
}
