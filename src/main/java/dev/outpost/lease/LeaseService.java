package dev.outpost.lease;

import dev.outpost.identity.Principal;
import io.vertx.core.Future;

/**
 * Connection leases as an appliance's store uses them: asked for at sign-in (never waited on), shown to their
 * user, dropped at sign-out, and checked when a client launches with one.
 */
public interface LeaseService {

  /**
   * A lease as its user gets it: what it says, and the token to keep and present — {@code null} when the lease is
   * bound to another device of the user's than the one asking.
   */
  record Current(String token, Lease lease) {
  }

  /** A lease launch that passed every check: the verified lease and the resource it names. */
  record Admitted(Lease lease, Lease.Resource resource) {
  }

  /**
   * A user signed in with a device key: queue a lease for them unless their current one is still good. Returns at
   * once.
   *
   * @param here this appliance as the user reached it, listed first in the lease
   */
  void signedIn(Principal principal, Lease.Appliance here);

  /**
   * The user's current lease on the device of their sign-in, or {@code null} while it is being issued (queued if need
   * be). A sign-in without a device key (a web store) gets the lease the user's endpoint client got last, without its
   * token, or a 404.
   */
  Future<Current> current(Principal principal, Lease.Appliance here);

  /** The user signed out: their leases on that device stop launching, everywhere. */
  Future<Void> signedOut(Principal principal);

  /**
   * Checks a lease launch: the lease's signature, key, expiry and location, the proof's signature, device binding,
   * freshness and single use, that the user's account is not disabled, revocations, and that the lease names the
   * resource.
   *
   * @throws LeaseRejected (as a failed future) with the reason when any check fails
   */
  Future<Admitted> admit(String leaseToken, String resource, String proofToken);
}
