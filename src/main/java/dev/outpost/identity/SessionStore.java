package dev.outpost.identity;

import io.vertx.core.Future;
import java.time.Duration;

/** Where signed-in sessions live: shared by every node so that any node can serve any user. */
public interface SessionStore {

  Future<Void> put(Principal principal, Duration ttl);

  /** The session with this id (token hash), or {@code null} when unknown or expired. */
  Future<Principal> find(String sessionId);

  Future<Void> remove(String sessionId);

  /**
   * Ends every session of this user that started before now, on every node: used when an account is
   * disabled, deleted, loses a role or gets a new password.
   */
  Future<Void> revokeUser(String userId);
}
