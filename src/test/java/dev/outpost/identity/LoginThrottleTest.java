package dev.outpost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import dev.outpost.testing.TestClock;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The throttle's reserve-then-settle rule over the in-process counters (the hub's), with a clock the test moves. */
class LoginThrottleTest {

  private final TestClock clock = new TestClock();
  private final InMemoryAttemptCounters counters = new InMemoryAttemptCounters(clock);
  private final LoginThrottle throttle = new LoginThrottle(counters, 3, 5, Duration.ofMinutes(5));
  /** Refuses at once where {@link #throttle} would wait for attempts being checked. */
  private final LoginThrottle impatient = new LoginThrottle(counters, 3, 5, Duration.ofMinutes(5), Duration.ZERO);

  @Test
  void blocksAUserAfterTheLimitUntilTheOldestFailureLeavesTheWindow() {
    // GIVEN three failed attempts for alice, ten seconds apart
    for (int i = 0; i < 3; i++) {
      LoginThrottle.Attempt attempt = reserve("alice", "10.0.0.1");
      assertThat(attempt.refusedFor()).isEmpty();
      attempt.failed();
      clock.advance(Duration.ofSeconds(10));
    }

    // THEN a fourth is refused (whatever the case of the name or the address) until the first leaves the window
    assertThat(reserve("ALICE", "10.0.0.9").refusedFor()).contains(Duration.ofSeconds(270));
    clock.advance(Duration.ofSeconds(271));
    assertThat(reserve("alice", "10.0.0.9").refusedFor()).isEmpty();
  }

  @Test
  void blocksAnAddressThatSpraysManyUsers() {
    for (int i = 0; i < 5; i++) {
      reserve("user" + i, "10.0.0.7").failed();
    }

    assertThat(reserve("someone-else", "10.0.0.7").refusedFor()).isPresent();
    assertThat(reserve("someone-else", "10.0.0.8").refusedFor()).isEmpty();
  }

  @Test
  void anAttemptBeingCheckedHoldsItsSlotAndTheNextWaitsForItsVerdict() throws Exception {
    // GIVEN three attempts for carol whose passwords are still being checked
    List<LoginThrottle.Attempt> checking = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      LoginThrottle.Attempt attempt = reserve("carol", "10.0.0.4");
      assertThat(attempt.refusedFor()).isEmpty();
      checking.add(attempt);
    }

    // WHEN a fourth arrives THEN it gets no slot while they are checked: it waits
    Future<LoginThrottle.Attempt> fourth = throttle.reserve("carol", "10.0.0.4");
    assertThat(fourth.isComplete()).isFalse();

    // WHEN the three turn out wrong THEN the fourth is refused, without a password check
    checking.forEach(LoginThrottle.Attempt::failed);
    Poll.until("the fourth answered", Duration.ofSeconds(10), fourth::isComplete);
    assertThat(fourth.result().refusedFor()).isPresent();
  }

  @Test
  void rightSignInsFromOneAddressWaitTheirTurnInsteadOfBeingRefused() throws Exception {
    // GIVEN twelve sign-ins at once from one office address whose limit is five
    List<Future<LoginThrottle.Attempt>> attempts = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      attempts.add(throttle.reserve("staff" + i, "10.0.0.30"));
    }
    assertThat(attempts.stream().filter(Future::isComplete).count()).isEqualTo(5);

    // WHEN each right password frees its slot, THEN every one of them gets its turn, and none is refused
    Poll.until("all twelve checked", Duration.ofSeconds(10), () -> {
      attempts.stream().filter(Future::isComplete).forEach(a -> a.result().succeeded());
      return attempts.stream().allMatch(Future::isComplete);
    });
    assertThat(attempts).allSatisfy(a -> assertThat(a.result().refusedFor()).isEmpty());
  }

  @Test
  void successClearsTheUserButOnlyGivesBackItsOwnAddressSlot() {
    // GIVEN two failures for bob and four in all from his address, then his success
    reserve("bob", "10.0.0.2").failed();
    reserve("bob", "10.0.0.2").failed();
    reserve("mallory", "10.0.0.2").failed();
    reserve("mallory", "10.0.0.2").failed();
    answered(reserve("bob", "10.0.0.2").succeeded());

    // THEN bob has three attempts again, while his address keeps its four failures: one more slot, and once that
    // one fails too the address is refused
    assertThat(reserve("bob", "10.0.0.3").refusedFor()).isEmpty();
    LoginThrottle.Attempt eve = reserve("eve", "10.0.0.2");
    assertThat(eve.refusedFor()).isEmpty();
    eve.failed();
    assertThat(reserve("eve", "10.0.0.2").refusedFor()).isPresent();
  }

  @Test
  void aWithdrawnAttemptGivesBothSlotsBack() {
    // GIVEN three attempts for dave that got no verdict (an outage)
    for (int i = 0; i < 3; i++) {
      answered(reserve("dave", "10.0.0.5").withdrawn());
    }

    // THEN dave and his address still have all their attempts
    assertThat(reserve("dave", "10.0.0.5").refusedFor()).isEmpty();
  }

  @Test
  void aUserRefusedAtTheAddressLimitDoesNotKeepAUserSlot() {
    // GIVEN an address at its limit of failures
    for (int i = 0; i < 5; i++) {
      reserve("user" + i, "10.0.0.6").failed();
    }

    // WHEN frank tries from it three times
    for (int i = 0; i < 3; i++) {
      assertThat(reserve("frank", "10.0.0.6").refusedFor()).isPresent();
    }

    // THEN those refusals did not use up frank's own attempts
    assertThat(reserve("frank", "10.0.0.7").refusedFor()).isEmpty();
  }

  @Test
  void twoHundredParallelAttemptsForOneUserTakeNoMoreSlotsThanTheLimit() throws Exception {
    // GIVEN 200 attempts for grace arriving at once on 16 threads, each from its own address
    ExecutorService threads = Executors.newFixedThreadPool(16);
    CountDownLatch start = new CountDownLatch(1);
    List<java.util.concurrent.Future<Optional<Duration>>> answers = new ArrayList<>();
    try {
      for (int i = 0; i < 200; i++) {
        String address = "10.1.0." + i;
        Callable<Optional<Duration>> attempt = () -> {
          start.await();
          return answered(impatient.reserve("grace", address)).refusedFor();
        };
        answers.add(threads.submit(attempt));
      }
      // WHEN they all reserve
      start.countDown();
      int admitted = 0;
      for (var answer : answers) {
        admitted += answer.get(30, TimeUnit.SECONDS).isEmpty() ? 1 : 0;
      }

      // THEN exactly the limit may check a password
      assertThat(admitted).isEqualTo(3);
    } finally {
      threads.shutdownNow();
    }
  }

  @Test
  void sprayingOtherKeysNeverMakesTheCountersForgetAKey() {
    // GIVEN heidi at her limit
    for (int i = 0; i < 3; i++) {
      reserve("heidi", "10.0.0.10").failed();
    }

    // WHEN 120,000 other names fail from as many addresses within the window
    for (int i = 0; i < 120_000; i++) {
      reserve("spray-" + i, "10.2." + (i >> 8) + "." + (i & 0xff)).failed();
    }

    // THEN heidi is still refused
    assertThat(reserve("heidi", "10.0.0.11").refusedFor()).isPresent();

    // AND once the window has passed, the next attempt sweeps the expired keys: memory follows the window
    assertThat(counters.size()).isGreaterThan(240_000);
    clock.advance(Duration.ofMinutes(6));
    reserve("later", "10.3.0.1").failed();
    assertThat(counters.size()).isEqualTo(2);
    assertThat(reserve("heidi", "10.0.0.11").refusedFor()).isEmpty();
  }

  private LoginThrottle.Attempt reserve(String user, String address) {
    return answered(throttle.reserve(user, address));
  }

  /** The answer of the in-process counters, which answer at once. */
  private static <T> T answered(Future<T> future) {
    assertThat(future.isComplete()).as("the in-process counters answer at once").isTrue();
    if (future.failed()) {
      throw new AssertionError(future.cause());
    }
    return future.result();
  }
}
