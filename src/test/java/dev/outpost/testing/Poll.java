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
}
