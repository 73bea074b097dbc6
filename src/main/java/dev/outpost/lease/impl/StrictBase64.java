package dev.outpost.lease.impl;

import java.util.Base64;

/**
 * URL-safe base64 without padding that accepts exactly one spelling of each byte string: the alphabet only, and
 * unused trailing bits zero (checked by encoding again). A lenient decoder would map several texts to the same
 * bytes, so a changed character of a signed token could still verify.
 */
public final class StrictBase64 {

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private StrictBase64() {
  }

  public static String encode(byte[] bytes) {
    return ENCODER.encodeToString(bytes);
  }

  /** The bytes {@code text} spells; throws {@link IllegalArgumentException} unless it is their only spelling. */
  public static byte[] decode(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_';
      if (!ok) {
        throw new IllegalArgumentException("not base64url");
      }
    }
    byte[] bytes = DECODER.decode(text);
    if (!ENCODER.encodeToString(bytes).equals(text)) {
      throw new IllegalArgumentException("not the canonical base64url spelling");
    }
    return bytes;
  }
}
