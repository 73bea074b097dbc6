package dev.outpost.lease;

import dev.outpost.error.ClientErrorException;

/** A lease or proof that does not allow the launch asked for (403, problem type {@code lease-rejected}). */
public final class LeaseRejected extends ClientErrorException {

  private static final long serialVersionUID = 1L;

  public static final String TYPE = "lease-rejected";

  public LeaseRejected(String detail) {
    super(403, TYPE, detail);
  }
}
