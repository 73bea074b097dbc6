package dev.outpost.lease;

import dev.outpost.error.ClientErrorException;
import java.util.Objects;

/**
 * A lease or proof that does not allow the launch asked for (403, problem type {@code lease-rejected}), with the
 * {@link Reason} that operators count it by.
 */
public final class LeaseRejected extends ClientErrorException {

  private static final long serialVersionUID = 1L;

  public static final String TYPE = "lease-rejected";

  /** Why a lease launch was refused, as a metric label: a few stable values, never the detail. */
  public enum Reason {
    /** The lease or the proof cannot be read. */
    MALFORMED("malformed"),
    /** Not signed by a key of this site: another site's, a forged or retired key, a signature that fails. */
    UNTRUSTED("untrusted"),
    /** Expired, or issued in the future (a clock far ahead). */
    EXPIRED("expired"),
    /** The proof is not made with the lease's device key, for this lease and resource. */
    PROOF("proof"),
    /** The proof's time is too far from the appliance's clock. */
    STALE_PROOF("stale-proof"),
    /** The proof was used before. */
    REPLAY("replay"),
    /** The lease, its user's leases or its device's leases were revoked. */
    REVOKED("revoked"),
    /** The user's account is disabled. */
    DISABLED("disabled"),
    /** The lease is for another resource location. */
    LOCATION("location"),
    /** The lease does not name the resource. */
    RESOURCE("resource");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  private final Reason reason;

  public LeaseRejected(Reason reason, String detail) {
    super(403, TYPE, detail);
    this.reason = Objects.requireNonNull(reason);
  }

  public Reason reason() {
    return reason;
  }
}
