package dev.outpost.crypto;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/** Random bearer secrets (tokens, tickets, passwords) and the hashes under which they are stored. */
public final class SecureTokens {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

  private SecureTokens() {
  }

  /** A URL-safe random token carrying {@code bytes * 8} bits of entropy. */
  public static String random(int bytes) {
    byte[] raw = new byte[bytes];
    RANDOM.nextBytes(raw);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
  }

  /** A password people can type: unambiguous letters and digits. */
  public static String password(int length) {
    StringBuilder sb = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      sb.append(PASSWORD_ALPHABET.charAt(RANDOM.nextInt(PASSWORD_ALPHABET.length())));
    }
    return sb.toString();
  }

  /**
   * Whether a presented secret is the expected one, in time that does not depend on where they differ (only on
   * their lengths), so that a caller cannot learn a secret by timing guesses. False when either is null.
   */
  public static boolean matches(String expected, String presented) {
    return expected != null && presented != null && MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
        presented.getBytes(StandardCharsets.UTF_8));
  }

  /** The stored form of a high-entropy token: hex SHA-256 (no salt needed at this entropy). */
  public static String hash(String token) {
    return HexFormat.of().formatHex(Fingerprints.sha256(token.getBytes(StandardCharsets.UTF_8)));
  }
}
