package dev.outpost.identity;

import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Locale;
import java.util.OptionalLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP) as authenticator apps make them: HMAC-SHA1, six
 * digits, 30-second steps, secrets of 160 bits shown in base32 (RFC 4648, no padding). A code is accepted in its own
 * step and in the one before and after it, for clocks a little apart; which step matched is answered so that the
 * caller can refuse a code used before (RFC 6238 section 5.2).
 */
public final class Totp {

  /** Length of a code. */
  public static final int DIGITS = 6;
  /** Length of a time step. */
  public static final int STEP_SECONDS = 30;
  /** Steps before and after the current one in which a code is still accepted. */
  static final int DRIFT_STEPS = 1;
  private static final int SECRET_BYTES = 20;
  private static final String BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  private static final SecureRandom RANDOM = new SecureRandom();

  private Totp() {
  }

  /** A new random secret in base32. */
  public static String newSecret() {
    byte[] raw = new byte[SECRET_BYTES];
    RANDOM.nextBytes(raw);
    return base32(raw);
  }

  /** The step an instant falls in. */
  public static long step(Instant at) {
    return Math.floorDiv(at.getEpochSecond(), STEP_SECONDS);
  }

  /** The code of a step (RFC 4226 section 5.3, dynamic truncation). */
  public static String code(String secret, long step) {
    byte[] key = fromBase32(secret);
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(key, "HmacSHA1"));
      byte[] hash = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
      int offset = hash[hash.length - 1] & 0x0f;
      int binary = ((hash[offset] & 0x7f) << 24) | ((hash[offset + 1] & 0xff) << 16)
          | ((hash[offset + 2] & 0xff) << 8) | (hash[offset + 3] & 0xff);
      return String.format(Locale.ROOT, "%0" + DIGITS + "d", binary % 1_000_000);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA1 is not available", e);
    }
  }

  /**
   * The step whose code {@code presented} is, within {@link #DRIFT_STEPS} of {@code now}'s; empty when it matches
   * none. Every candidate is compared in full, in constant time.
   */
  public static OptionalLong matchingStep(String secret, String presented, Instant now) {
    if (presented == null || !isCode(presented)) {
      return OptionalLong.empty();
    }
    long current = step(now);
    long found = Long.MIN_VALUE;
    for (long step = current - DRIFT_STEPS; step <= current + DRIFT_STEPS; step++) {
      if (MessageDigest.isEqual(code(secret, step).getBytes(StandardCharsets.US_ASCII),
          presented.getBytes(StandardCharsets.US_ASCII))) {
        found = step;
      }
    }
    return found == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(found);
  }

  /** Whether a text has the shape of a code (six digits), as opposed to a recovery code. */
  public static boolean isCode(String text) {
    return text.length() == DIGITS && text.chars().allMatch(c -> c >= '0' && c <= '9');
  }

  /**
   * The {@code otpauth://} URI authenticator apps read (as a QR code or pasted): issuer and account label, the
   * secret and the parameters, which are the defaults most apps assume.
   */
  public static String uri(String issuer, String account, String secret) {
    String label = encode(issuer) + ":" + encode(account);
    return "otpauth://totp/" + label + "?secret=" + secret + "&issuer=" + encode(issuer) + "&algorithm=SHA1&digits="
        + DIGITS + "&period=" + STEP_SECONDS;
  }

  private static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String base32(byte[] data) {
    StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(BASE32.charAt((buffer >> (bits - 5)) & 0x1f));
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(BASE32.charAt((buffer << (5 - bits)) & 0x1f));
    }
    return out.toString();
  }

  /**
   * Decodes base32, ignoring case, spaces and padding (as people copy secrets).
   *
   * @throws IllegalArgumentException for a character outside the alphabet
   */
  static byte[] fromBase32(String text) {
    String clean = text.replace(" ", "").replace("=", "").toUpperCase(Locale.ROOT);
    ByteBuffer out = ByteBuffer.allocate(clean.length() * 5 / 8);
    int buffer = 0;
    int bits = 0;
    for (int i = 0; i < clean.length(); i++) {
      int value = BASE32.indexOf(clean.charAt(i));
      if (value < 0) {
        throw new IllegalArgumentException("not base32: " + clean.charAt(i));
      }
      buffer = (buffer << 5) | value;
      bits += 5;
      if (bits >= 8) {
        out.put((byte) (buffer >> (bits - 8)));
        bits -= 8;
      }
    }
    return out.array();
  }
}
