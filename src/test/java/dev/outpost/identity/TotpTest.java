package dev.outpost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The authenticator codec against RFC 6238's test vectors, and the recovery codes' shape. */
class TotpTest {

  /** RFC 6238 appendix B's SHA-1 secret, "12345678901234567890", in base32. */
  private static final String RFC_SECRET = Totp.base32("12345678901234567890".getBytes(StandardCharsets.US_ASCII));

  static Stream<Arguments> rfc6238() {
    // the RFC lists eight digits; authenticator apps show the last six, which is the same truncation mod 10^6
    return Stream.of(
        Arguments.of(59L, "287082"),
        Arguments.of(1111111109L, "081804"),
        Arguments.of(1111111111L, "050471"),
        Arguments.of(1234567890L, "005924"),
        Arguments.of(2000000000L, "279037"),
        Arguments.of(20000000000L, "353130"));
  }

  @ParameterizedTest
  @MethodSource("rfc6238")
  void codesAreThoseOfTheRfc(long epochSecond, String expected) {
    assertThat(Totp.code(RFC_SECRET, Totp.step(Instant.ofEpochSecond(epochSecond)))).isEqualTo(expected);
  }

  @Test
  void aCodeMatchesInItsStepAndTheNeighboursOnly() {
    // GIVEN a new secret and the code of the current step
    String secret = Totp.newSecret();
    Instant now = Instant.ofEpochSecond(1_800_000_000L);
    long step = Totp.step(now);

    // THEN the codes of the step before, the step, and the one after match (with the step they belong to)
    for (long s = step - 1; s <= step + 1; s++) {
      assertThat(Totp.matchingStep(secret, Totp.code(secret, s), now)).hasValue(s);
    }
    // AND codes two steps away, other shapes and nonsense do not
    assertThat(Totp.matchingStep(secret, Totp.code(secret, step + 2), now)).isEmpty();
    assertThat(Totp.matchingStep(secret, Totp.code(secret, step - 2), now)).isEmpty();
    for (String wrong : List.of("", "12345", "1234567", "abcdef", " " + Totp.code(secret, step))) {
      assertThat(Totp.matchingStep(secret, wrong, now)).as(wrong).isEmpty();
    }
  }

  @Test
  void secretsAreBase32OfTwentyBytesAndTheUriCarriesThem() {
    String secret = Totp.newSecret();

    assertThat(secret).matches("[A-Z2-7]{32}");
    assertThat(Totp.fromBase32(secret.toLowerCase())).hasSize(20);
    assertThat(Totp.base32(Totp.fromBase32(secret))).isEqualTo(secret);
    assertThat(Totp.uri("Outpost", "alice@example.com", secret)).isEqualTo("otpauth://totp/Outpost:alice%40example.com"
        + "?secret=" + secret + "&issuer=Outpost&algorithm=SHA1&digits=6&period=30");
  }

  @Test
  void recoveryCodesAreDistinctHashedAndReadAsPeopleTypeThem() {
    List<String> codes = RecoveryCodes.generate();

    assertThat(codes).hasSize(RecoveryCodes.COUNT).doesNotHaveDuplicates()
        .allMatch(code -> code.matches("[a-z2-7]{4}(-[a-z2-7]{4}){3}"));
    String code = codes.get(0);
    assertThat(RecoveryCodes.hash(code.toUpperCase().replace("-", " "))).isEqualTo(RecoveryCodes.hash(code));
    assertThat(RecoveryCodes.looksLikeOne(code)).isTrue();
    assertThat(RecoveryCodes.looksLikeOne("123456")).isFalse();
    assertThat(Totp.isCode(code)).isFalse();
  }
}
