package dev.outpost.admin.impl;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Plurals and articles of the admin API's entity names, and of the English nouns they follow the rules of. */
class NounsTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"directory, directories", "entitlement, entitlements", "pool, pools", "key, keys", "box, boxes",
      "match, matches", "address, addresses", "enroll-token, enroll-tokens", "user, users"})
  void pluralsFollowTheirEnding(String noun, String plural) {
    assertThat(Nouns.plural(noun)).isEqualTo(plural);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({"entitlement, an entitlement", "user, a user", "pool, a pool", "enroll-token, an enroll-token",
      "update, an update", "unit, a unit", "resource, a resource", "directory, a directory", "item, an item",
      "one-time token, a one-time token", "umbrella, an umbrella"})
  void theArticleFollowsTheSoundItIsSaidWith(String noun, String withArticle) {
    assertThat(Nouns.withArticle(noun)).isEqualTo(withArticle);
  }
}
