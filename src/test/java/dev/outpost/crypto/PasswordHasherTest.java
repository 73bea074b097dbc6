package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PasswordHasherTest {

  private final PasswordHasher hasher = new PasswordHasher(1024, 1, 1);

  @Test
  void hashesAreArgon2idPhcStringsWithAFreshSalt() {
    String first = hasher.hash("correct horse battery");
    String second = hasher.hash("correct horse battery");

    assertThat(first).startsWith("$argon2id$v=19$m=1024,t=1,p=1$");
    assertThat(first).isNotEqualTo(second);
    assertThat(hasher.verify("correct horse battery", first)).isTrue();
    assertThat(hasher.verify("correct horse battery", second)).isTrue();
  }

  @Test
  void aWrongPasswordDoesNotVerify() {
    String hash = hasher.hash("correct horse battery");

    assertThat(hasher.verify("correct horse batterY", hash)).isFalse();
    assertThat(hasher.verify("", hash)).isFalse();
  }

  @Test
  void theDefaultParametersMeetOwaspMinimums() {
    assertThat(PasswordHasher.create().hash("x")).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$v=19$m=1024,t=1,p=1$!!$aGFzaA"})
  void malformedHashesNeverVerify(String encoded) {
    assertThat(hasher.verify("anything", encoded)).isFalse();
  }
}
