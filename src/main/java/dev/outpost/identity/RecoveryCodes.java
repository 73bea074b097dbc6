package dev.outpost.identity;

import dev.outpost.crypto.SecureTokens;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Recovery codes: what a user who lost their authenticator app signs in with, each once. Shown once when made, and
 * stored only as hashes: 80 random bits each ({@code xxxx-xxxx-xxxx-xxxx}, base32), so a plain SHA-256 is enough.
 */
public final class RecoveryCodes {

  /** How many codes a user gets at a time. */
  public static final int COUNT = 10;
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";
  private static final int GROUPS = 4;
  private static final int GROUP_LENGTH = 4;
  private static final SecureRandom RANDOM = new SecureRandom();

  private RecoveryCodes() {
  }

  /** {@link #COUNT} new codes, to show once. */
  public static List<String> generate() {
    List<String> codes = new ArrayList<>(COUNT);
    for (int i = 0; i < COUNT; i++) {
      StringBuilder code = new StringBuilder();
      for (int g = 0; g < GROUPS; g++) {
        if (g > 0) {
          code.append('-');
        }
        for (int c = 0; c < GROUP_LENGTH; c++) {
          code.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
      }
      codes.add(code.toString());
    }
    return codes;
  }

  /** The stored form of a code as a person may type it (any case, with or without dashes and spaces). */
  public static String hash(String code) {
    return SecureTokens.hash(normalize(code));
  }

  /** The hashes of codes, to store. */
  public static List<String> hashes(List<String> codes) {
    return codes.stream().map(RecoveryCodes::hash).toList();
  }

  /** Whether a text could be a recovery code: 16 characters of the alphabet once dashes and spaces are gone. */
  public static boolean looksLikeOne(String text) {
    String clean = normalize(text);
    return clean.length() == GROUPS * GROUP_LENGTH && clean.chars().allMatch(c -> ALPHABET.indexOf(c) >= 0);
  }

  private static String normalize(String code) {
    return code.replace("-", "").replace(" ", "").toLowerCase(Locale.ROOT);
  }
}
