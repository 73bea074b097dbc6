package dev.outpost.lease;

/**
 * Names of the tunnel operations between appliances and the hub that carry leases (schema version
 * {@link #SCHEMA}); see docs/protocols/lease.md.
 *
 * <pre>
 * appliance -> hub   lease.trust   {}                      -> {v, site, keys:[{kid, alg, key, verifyUntil?}],
 *                                                              revocations:[revocation]}
 * appliance -> hub   lease.issue   {items:[request]}       -> {items:[{key, lease} | {key, error}]}
 * appliance -> hub   lease.revoke  {revocation, node}      -> {}
 * hub -> appliance   lease.revoked {revocation}            -> {}
 * </pre>
 * A request is {@code {key, user:{id, username, directoryGroups?}, device, appliances:[appliance], hub?}}.
 */
public final class LeaseOperations {

  public static final int SCHEMA = 1;
  public static final String TRUST = "lease.trust";
  public static final String ISSUE = "lease.issue";
  public static final String REVOKE = "lease.revoke";
  /**
   * A revocation made at the hub, sent to every connected appliance at once (the others learn it at their next
   * {@link #TRUST}); the appliance makes it effective on every node of its cluster.
   */
  public static final String REVOKED = "lease.revoked";

  private LeaseOperations() {
  }
}
