package dev.outpost.admin.impl;

import java.util.Objects;

/**
 * Who is changing the site model, and through which request and node: what every audit row records.
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
