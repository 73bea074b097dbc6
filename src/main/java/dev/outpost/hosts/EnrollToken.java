package dev.outpost.hosts;

import dev.outpost.crypto.SecureTokens;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text of an enrollment token: {@code OPT1.<ca-sha256>.<secret>}. {@code OPT1} names the format,
 * {@code <ca-sha256>} is the site CA's SHA-256 fingerprint (64 lower-case hex digits) so that the agent can
 * trust the appliance before it has the CA, and {@code <secret>} is 256 random bits in unpadded base64url
 * (43 characters). Only {@link #secretHash()} is stored; the token itself is shown once, to the admin.
 */
public record EnrollToken(String caFingerprint, String secret) {

  public static final String PREFIX = "OPT1";
  public static final int SECRET_BYTES = 32;
  private static final Pattern FORMAT = Pattern.compile(PREFIX + "\\.([0-9a-f]{64})\\.([A-Za-z0-9_-]{43})");

  public EnrollToken {
    Objects.requireNonNull(caFingerprint);
    Objects.requireNonNull(secret);
  }

  /** A fresh token for the site with this CA fingerprint (compact form). */
  public static EnrollToken create(String caFingerprint) {
    return new EnrollToken(caFingerprint, SecureTokens.random(SECRET_BYTES));
  }

  /** The token as people paste it. */
  public String text() {
    return PREFIX + "." + caFingerprint + "." + secret;
  }

  /** What the database keeps. */
  public String secretHash() {
    return SecureTokens.hash(secret);
  }

  /** The token in {@code text}, or empty when it is not in this format (surrounding blanks are ignored). */
  public static Optional<EnrollToken> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    Matcher m = FORMAT.matcher(text.strip());
    return m.matches() ? Optional.of(new EnrollToken(m.group(1), m.group(2))) : Optional.empty();
  }

  @Override
  public String toString() {
    return "EnrollToken[ca=" + caFingerprint + ", secret=(hidden)]";
  }
}
