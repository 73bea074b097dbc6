package dev.outpost.admin.impl;

import java.util.Locale;

/**
 * English plurals and indefinite articles of the admin API's entity names (which are lower-case English nouns,
 * e.g. {@code entitlement}, {@code directory}), for text made from them: "an entitlement", "directories".
 */
public final class Nouns {

  private Nouns() {
  }

  /** The plural: directory, directories; box, boxes; key, keys; pool, pools. */
  public static String plural(String noun) {
    String lower = noun.toLowerCase(Locale.ROOT);
    if (lower.endsWith("y") && lower.length() > 1 && !vowel(lower.charAt(lower.length() - 2))) {
      return noun.substring(0, noun.length() - 1) + "ies";
    }
    if (lower.endsWith("s") || lower.endsWith("x") || lower.endsWith("z") || lower.endsWith("ch")
        || lower.endsWith("sh")) {
      return noun + "es";
    }
    return noun + "s";
  }

  /**
   * The noun after its indefinite article, by how it is said: "an entitlement", "a pool", "a user" (a "you"
   * sound), "an update".
   */
  public static String withArticle(String noun) {
    return (startsWithVowelSound(noun.toLowerCase(Locale.ROOT)) ? "an " : "a ") + noun;
  }

  private static boolean startsWithVowelSound(String word) {
    if (word.isEmpty() || !vowel(word.charAt(0))) {
      return false;
    }
    // u + consonant + vowel is said "you" (user, unit, usage); eu- and one- start with a consonant sound too
    boolean you = word.charAt(0) == 'u' && word.length() > 2 && !vowel(word.charAt(1)) && vowel(word.charAt(2));
    return !you && !word.startsWith("eu") && !word.startsWith("one");
  }

  private static boolean vowel(char c) {
    return "aeiou".indexOf(c) >= 0;
  }
}
