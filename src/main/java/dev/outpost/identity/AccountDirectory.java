package dev.outpost.identity;

import io.vertx.core.Future;
import java.util.Set;

/** Where sign-in finds accounts: the local database, or the hub for an appliance that has one. */
public interface AccountDirectory {

  /** What sign-in needs to know about one account. */
  record Account(String id, String username, String displayName, String passwordHash, Set<Role> roles,
      boolean disabled) {
  }

  /** The account with this user name (case-insensitive), or {@code null}. */
  Future<Account> find(String username);
}
