package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** When certificates renew: a share of their lifetime, spread by jitter, and how soon a failed renewal retries. */
class RenewalScheduleTest {

  private static final Instant FROM = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void renewsAtTheShareOfTheLifetimeMovedByAtMostTheJitter() {
    record Case(double fraction, double jitter, Duration life, double random, Duration expected) {
    }
    Duration year = Duration.ofDays(360);
    for (Case c : new Case[] {
        // two thirds of 360 days, the middle of the jitter window
        new Case(2.0 / 3, 0.05, year, 0.5, Duration.ofDays(240)),
        // the jitter window's ends: 5% of the lifetime either way
        new Case(2.0 / 3, 0.05, year, 0.0, Duration.ofDays(222)),
        new Case(2.0 / 3, 0.05, year, 1.0, Duration.ofDays(258)),
        // no jitter
        new Case(0.5, 0.0, Duration.ofMinutes(2), 0.9, Duration.ofMinutes(1)),
        // never at or past the end, however the fraction and jitter add up
        new Case(0.95, 0.2, Duration.ofSeconds(100), 1.0, Duration.ofSeconds(99))}) {
      Instant at = new RenewalSchedule(c.fraction(), c.jitter()).renewAt(FROM, FROM.plus(c.life()), c.random());
      assertThat(Duration.between(FROM, at)).as(c.toString()).isEqualTo(c.expected());
    }
  }

  @Test
  void aFailedRenewalRetriesAfterATenthOfTheTimeLeftBetweenASecondAndAnHour() {
    Instant now = FROM;
    assertThat(RenewalSchedule.retryAfter(now.plus(Duration.ofMinutes(10)), now)).isEqualTo(Duration.ofMinutes(1));
    assertThat(RenewalSchedule.retryAfter(now.plus(Duration.ofDays(100)), now)).isEqualTo(Duration.ofHours(1));
    assertThat(RenewalSchedule.retryAfter(now.plus(Duration.ofSeconds(3)), now)).isEqualTo(Duration.ofSeconds(1));
    assertThat(RenewalSchedule.retryAfter(now.minus(Duration.ofDays(1)), now)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void fractionsAndJitterOutsideTheirRangesAreRefused() {
    assertThatThrownBy(() -> new RenewalSchedule(0, 0.05)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RenewalSchedule(1, 0.05)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RenewalSchedule(0.5, 0.3)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RenewalSchedule(0.5, -0.1)).isInstanceOf(IllegalArgumentException.class);
  }
}
