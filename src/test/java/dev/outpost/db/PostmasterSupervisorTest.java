package dev.outpost.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The restart back-off of the embedded PostgreSQL: doubling from 1 s, capped at 30 s, so a crash loop never spins. */
class PostmasterSupervisorTest {

  @ParameterizedTest(name = "attempt {0} waits {1} s")
  @CsvSource({"1, 1", "2, 2", "3, 4", "4, 8", "5, 16", "6, 30", "7, 30", "100, 30", "2147483647, 30"})
  void theDelayDoublesFromOneSecondUpToThirty(int attempt, long seconds) {
    // GIVEN the n-th consecutive restart attempt WHEN its delay is computed THEN it is 2^(n-1) s, at most 30 s
    assertThat(PostmasterSupervisor.backoff(attempt)).isEqualTo(Duration.ofSeconds(seconds));
  }
}
