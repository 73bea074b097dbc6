package dev.outpost.identity;

/**
 * The account operations between an appliance and its hub (named requests with JSON bodies over the tunnel, or
 * straight to the in-process hub role). The hub's handlers are in {@code hub.IdentityOperations}.
 */
public final class AccountOperations {

  /**
   * Appliance to hub: {@code {username} -> account} with its password hash (or {@code {}} when unknown), so that
   * the appliance verifies the password itself and the password never travels to the hub.
   */
  public static final String ACCOUNT = "identity.account";
  /** Appliance to hub: every account of the site with its hash, {@code {} -> {items:[account]}}, for the LHC. */
  public static final String SNAPSHOT = "identity.snapshot";
  /**
   * Hub to appliance, at once to every connected one: an admin took access away from an account.
   * {@code {userId, account?} -> {}}, {@code account} as in {@link #ACCOUNT} and absent when it was deleted; the
   * appliance ends the user's sessions in its cluster and updates its local host cache's copy of the account.
   */
  public static final String ACCESS_WITHDRAWN = "identity.access-withdrawn";
  /**
   * Appliance to hub, enrolment of authenticator apps ({@link SecondFactors}), the secret in clear over the tunnel and
   * sealed at the hub: {@code {userId, secret} -> {}}.
   */
  public static final String FACTOR_PROPOSE = "identity.factor-propose";
  /** {@code {userId} -> {secret?}}: the secret proposed and not yet confirmed. */
  public static final String FACTOR_PROPOSED = "identity.factor-proposed";
  /** {@code {userId, secret, recovery:[hash]} -> {}}; 409 when the secret is no longer the proposed one. */
  public static final String FACTOR_CONFIRM = "identity.factor-confirm";
  /** {@code {userId, recovery:[hash]} -> {}}. */
  public static final String FACTOR_RECOVERY_CODES = "identity.factor-recovery-codes";
  /** {@code {userId, hash} -> {spent}}: uses up one recovery code, once across the site. */
  public static final String FACTOR_SPEND = "identity.factor-spend";
  /** {@code {userId} -> {removed}}. */
  public static final String FACTOR_REMOVE = "identity.factor-remove";

  private AccountOperations() {
  }
}
