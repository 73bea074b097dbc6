package dev.outpost.hosts;

/**
 * The host enrollment operations an appliance asks its hub (named requests with JSON bodies): the hub keeps the
 * enrollment ledger of its locations. The hub's handlers are in {@code hub.HostOperations}.
 */
public final class EnrollmentOperations {

  /** {@code {tokenHash, entry} -> {}}: records an enrollment (the appliance issued the certificate). */
  public static final String ENROLL = "hosts.enroll";
  /** {@code {certificateSha256} -> entry}: the host an agent's certificate belongs to. */
  public static final String FIND = "hosts.find";
  /** {@code Renewal} JSON {@code -> {}}: records a renewed agent certificate (the appliance issued it). */
  public static final String RENEW = "hosts.renew";

  private EnrollmentOperations() {
  }
}
