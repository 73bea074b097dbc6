package dev.outpost.identity;

import dev.outpost.crypto.SecureTokens;
import io.vertx.core.Future;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Limits failed sign-ins per user name and per client address over a sliding window. An attempt takes a slot under
 * both BEFORE its password is checked, and is then settled: a failure keeps its slots, a success clears the user's
 * failures and gives the address's slot back. So however many attempts arrive at once, on however many nodes, no
 * more than the limit of them get their password checked within a window. The counts live in the
 * {@link AttemptCounters} given: the cluster's on an appliance, this process's at the hub.
 */
public final class LoginThrottle {

  private final AttemptCounters counters;
  private final int maxPerUser;
  private final int maxPerAddress;
  private final Duration window;

  public LoginThrottle(AttemptCounters counters, int maxPerUser, int maxPerAddress, Duration window) {
    this.counters = Objects.requireNonNull(counters);
    this.maxPerUser = maxPerUser;
    this.maxPerAddress = maxPerAddress;
    this.window = Objects.requireNonNull(window);
  }

  /**
   * Takes a slot for an attempt as {@code username} from {@code address}: an attempt that may go ahead, or one
   * refused (see {@link Attempt#refusedFor()}) because the user or the address is at its limit. Fails only when the
   * counters cannot be reached.
   */
  public Future<Attempt> reserve(String username, String address) {
    String user = userKey(username);
    String addr = addressKey(address);
    return counters.reserve(user, maxPerUser, window).compose(byUser -> {
      if (!byUser.taken()) {
        return Future.succeededFuture(new Attempt(user, null, addr, null, byUser.retryAfter()));
      }
      return counters.reserve(addr, maxPerAddress, window)
          .recover(e -> counters.release(user, byUser.at(), window).transform(v -> Future.failedFuture(e)))
          .compose(byAddress -> byAddress.taken()
              ? Future.succeededFuture(new Attempt(user, byUser.at(), addr, byAddress.at(), Duration.ZERO))
              : counters.release(user, byUser.at(), window)
                  .map(v -> new Attempt(user, null, addr, null, byAddress.retryAfter())));
    });
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

    /** The password was wrong: the slots stay taken until they leave the window. */
    public Future<Void> failed() {
      return Future.succeededFuture();
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
