package dev.outpost.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/** Waits for a condition by polling it with a deadline: never a fixed sleep as synchronisation. */
public final class Poll {

  private static final long INTERVAL_MS = 50;

  private Poll() {
  }

  /** Returns once {@code condition} holds; fails the test with {@code what} when it does not within {@code timeout}. */
  public static void until(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(what + ": not within " + timeout.toSeconds() + " s");
      }
      Thread.sleep(INTERVAL_MS);
    }
  }

  /**
   * Asks for a value until one satisfies {@code accepted} and returns it; an attempt that throws counts as not yet.
   * Fails the test with {@code what} and the last answer when none does within {@code timeout}.
   */
  public static <T> T value(String what, Duration timeout, java.util.function.Supplier<T> ask,
      java.util.function.Predicate<T> accepted) throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    Object last = null;
    while (true) {
      try {
        T value = ask.get();
        if (accepted.test(value)) {
          return value;
        }
        last = value;
      } catch (RuntimeException e) {
        last = e;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(what + ": not within " + timeout.toSeconds() + " s; last: " + last);
      }
      Thread.sleep(INTERVAL_MS);
    }
  }
}
