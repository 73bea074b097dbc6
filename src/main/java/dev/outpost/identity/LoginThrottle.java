package dev.outpost.identity;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import dev.outpost.crypto.SecureTokens;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Limits failed sign-ins per user name and per client address over a sliding window. An attempt takes a pending
 * slot under both BEFORE its password is checked, and is then settled: a failure makes its slots count, a success
 * clears the user's failures and gives the address's slot back. So however many attempts arrive at once, on however
 * many nodes, no more than the limit of them get their password checked within a window. Counted failures refuse
 * further attempts (429); slots held only by attempts still being checked make the next ones wait their turn (at
 * most {@link #BUSY_WAIT}), so that many right sign-ins from one address (an office behind one NAT) are served at
 * the limit's pace, not refused. The counts live in the {@link AttemptCounters} given: the cluster's on an
 * appliance, this process's at the hub.
 */
public final class LoginThrottle {

  /** Longest an attempt waits for attempts still being checked to free a slot before it is refused. */
  static final Duration BUSY_WAIT = Duration.ofSeconds(10);
  /** How long an attempt refused after {@link #BUSY_WAIT} is told to wait. */
  private static final Duration BUSY_RETRY_AFTER = Duration.ofSeconds(5);

  private final AttemptCounters counters;
  private final int maxPerUser;
  private final int maxPerAddress;
  private final Duration window;
  private final Duration busyWait;

  public LoginThrottle(AttemptCounters counters, int maxPerUser, int maxPerAddress, Duration window) {
    this(counters, maxPerUser, maxPerAddress, window, BUSY_WAIT);
  }

  /** @param busyWait longest an attempt waits for attempts still being checked; zero refuses at once */
  LoginThrottle(AttemptCounters counters, int maxPerUser, int maxPerAddress, Duration window, Duration busyWait) {
    this.counters = Objects.requireNonNull(counters);
    this.maxPerUser = maxPerUser;
    this.maxPerAddress = maxPerAddress;
    this.window = Objects.requireNonNull(window);
    this.busyWait = Objects.requireNonNull(busyWait);
  }

  /**
   * Takes a slot for an attempt as {@code username} from {@code address}: an attempt that may go ahead, or one
   * refused (see {@link Attempt#refusedFor()}) because the user or the address is at its limit. Fails only when the
   * counters cannot be reached.
   */
  public Future<Attempt> reserve(String username, String address) {
    return reserve(userKey(username), addressKey(address), System.nanoTime() + busyWait.toNanos());
  }

  private Future<Attempt> reserve(String user, String addr, long deadline) {
    return counters.reserve(user, maxPerUser, window).compose(byUser -> {
      if (!byUser.taken()) {
        return byUser.busy() ? later(user, addr, deadline)
            : Future.succeededFuture(new Attempt(user, null, addr, null, byUser.retryAfter()));
      }
      return counters.reserve(addr, maxPerAddress, window)
          .recover(e -> counters.release(user, byUser.at(), window).transform(v -> Future.failedFuture(e)))
          .compose(byAddress -> {
            if (byAddress.taken()) {
              return Future.succeededFuture(new Attempt(user, byUser.at(), addr, byAddress.at(), Duration.ZERO));
            }
            Future<Void> released = counters.release(user, byUser.at(), window);
            return byAddress.busy() ? released.compose(v -> later(user, addr, deadline))
                : released.map(v -> new Attempt(user, null, addr, null, byAddress.retryAfter()));
          });
    });
  }

  /** Asks again once attempts being checked may have settled; past the deadline, refuses for a few seconds. */
  private Future<Attempt> later(String user, String addr, long deadline) {
    if (System.nanoTime() - deadline >= 0) {
      return Future.succeededFuture(new Attempt(user, null, addr, null, BUSY_RETRY_AFTER));
    }
    long pause = 25 + ThreadLocalRandom.current().nextLong(50);
    io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
    CompletableFuture<Void> slept = CompletableFuture.runAsync(() -> { },
        CompletableFuture.delayedExecutor(pause, TimeUnit.MILLISECONDS));
    Future<Void> resumed = context == null ? Future.fromCompletionStage(slept)
        : Future.fromCompletionStage(slept, context);
    return resumed.compose(v -> reserve(user, addr, deadline));
  }

  /** One attempt's slots, to settle once its password has been checked. */
  public final class Attempt {
    private final String user;
    private final Instant userSlot;
    private final String address;
    private final Instant addressSlot;
    private final Duration wait;

    private Attempt(String user, Instant userSlot, String address, Instant addressSlot, Duration wait) {
      this.user = user;
      this.userSlot = userSlot;
      this.address = address;
      this.addressSlot = addressSlot;
      this.wait = wait;
    }

    /** Empty when the attempt may go ahead; else how long until the user or address may try again. */
    public Optional<Duration> refusedFor() {
      return userSlot == null ? Optional.of(wait) : Optional.empty();
    }

    /** The password was wrong: both slots count until they leave the window. */
    public Future<Void> failed() {
      if (userSlot == null) {
        return Future.succeededFuture();
      }
      return Future.all(counters.settle(user, userSlot, window), counters.settle(address, addressSlot, window))
          .mapEmpty();
    }

    /**
     * The password was right: the user's failures are forgotten, and the address gets its slot back but keeps its
     * other failures (one good account must not unlock a spray of guesses from the same address).
     */
    public Future<Void> succeeded() {
      if (userSlot == null) {
        return Future.succeededFuture();
      }
      return Future.all(counters.clear(user), counters.release(address, addressSlot, window)).mapEmpty();
    }

    /** The attempt did not get an answer (an error, not a verdict): both slots are given back. */
    public Future<Void> withdrawn() {
      if (userSlot == null) {
        return Future.succeededFuture();
      }
      return Future.all(counters.release(user, userSlot, window), counters.release(address, addressSlot, window))
          .mapEmpty();
    }
  }

  /** Names are counted case-blind, and kept only as a hash: the counters need not show who was tried. */
  static String userKey(String username) {
    return "u:" + SecureTokens.hash(username.toLowerCase(Locale.ROOT));
  }

  private static String addressKey(String address) {
    return "a:" + address;
  }
}
