package dev.outpost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import dev.outpost.testing.TestClock;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {

  private final TestClock clock = new TestClock();
  private final LoginThrottle throttle = new LoginThrottle(3, 5, Duration.ofMinutes(5), clock);

  @Test
  void blocksAUserAfterTheLimitUntilTheOldestFailureLeavesTheWindow() {
    for (int i = 0; i < 3; i++) {
      assertThat(throttle.blockedFor("alice", "10.0.0.1")).isEmpty();
      throttle.recordFailure("alice", "10.0.0.1");
      clock.advance(Duration.ofSeconds(10));
    }

    assertThat(throttle.blockedFor("ALICE", "10.0.0.9")).contains(Duration.ofSeconds(270));
    clock.advance(Duration.ofSeconds(271));
    assertThat(throttle.blockedFor("alice", "10.0.0.9")).isEmpty();
  }

  @Test
  void blocksAnAddressThatSpraysManyUsers() {
    for (int i = 0; i < 5; i++) {
      throttle.recordFailure("user" + i, "10.0.0.7");
    }

    assertThat(throttle.blockedFor("someone-else", "10.0.0.7")).isPresent();
    assertThat(throttle.blockedFor("someone-else", "10.0.0.8")).isEmpty();
  }

  @Test
  void successClearsTheUserButNotTheAddress() {
    for (int i = 0; i < 2; i++) {
      throttle.recordFailure("bob", "10.0.0.2");
    }
    throttle.recordSuccess("bob");
    throttle.recordFailure("bob", "10.0.0.2");
    throttle.recordFailure("bob", "10.0.0.2");

    assertThat(throttle.blockedFor("bob", "10.0.0.3")).isEmpty();
  }
}
