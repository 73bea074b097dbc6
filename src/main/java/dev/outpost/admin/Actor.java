package dev.outpost.admin;

import java.util.Objects;

/**
 * Who is changing the site model, and through which request and node: what every audit row records (see {@link
 * Auditor}). Usually the signed-in admin of a request; a change another feature makes on someone's behalf names
 * them as it can (e.g. a lease revocation forwarded by an appliance names that appliance and the admin there).
 *
 * @param userId the signed-in account's id, so that stores can refuse self-harming changes
 */
public record Actor(String userId, String username, String requestId, String node) {

  public Actor {
    Objects.requireNonNull(userId);
    Objects.requireNonNull(username);
    Objects.requireNonNull(requestId);
    Objects.requireNonNull(node);
  }
}
