package dev.outpost.lease;

import java.time.Duration;
import java.util.Objects;

/**
 * Connection leases: {@code lease.*}. The loader checks the documented ranges (a validity of 1 to 30 days); the
 * constructor refuses what no lease service could run with.
 *
 * @param validityDays how long a lease stays valid; read where the hub role runs
 * @param issueRate most leases per second asked of the hub, cluster-wide
 * @param proofWindow how far a lease launch proof's time may be from the appliance's
 */
public record LeaseConfig(int validityDays, int issueRate, Duration proofWindow) {

  public static final int DEFAULT_VALIDITY_DAYS = 7;
  public static final int DEFAULT_ISSUE_RATE = 100;
  public static final Duration DEFAULT_PROOF_WINDOW = Duration.ofSeconds(60);
  /** The defaults, as a configuration without these keys gets them. */
  public static final LeaseConfig DEFAULTS = new LeaseConfig(DEFAULT_VALIDITY_DAYS, DEFAULT_ISSUE_RATE,
      DEFAULT_PROOF_WINDOW);

  public LeaseConfig {
    if (validityDays < 1 || issueRate < 1) {
      throw new IllegalArgumentException("lease.validity-days and lease.issue-rate must be at least 1, not "
          + validityDays + " and " + issueRate);
    }
    Objects.requireNonNull(proofWindow, "lease.proof-window");
    if (proofWindow.isNegative() || proofWindow.isZero()) {
      throw new IllegalArgumentException("lease.proof-window must be longer than zero, not " + proofWindow);
    }
  }

  public Duration validity() {
    return Duration.ofDays(validityDays);
  }
}
