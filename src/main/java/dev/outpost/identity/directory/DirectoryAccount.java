package dev.outpost.identity.directory;

import java.util.Objects;
import java.util.Set;

/**
 * A directory user who just proved their password, online or (when the directory could not be reached)
 * against the appliance's verifier of their last good password.
 *
 * @param id stable Outpost user id derived from the directory and the entry's unique id
 * @param groups normalised DNs of the user's groups, nested ones included
 * @param offline whether this sign-in was checked against the offline verifier instead of the directory
 */
public record DirectoryAccount(String id, String username, String displayName, String directoryId, String dn,
    Set<String> groups, boolean offline) {

  public DirectoryAccount {
    Objects.requireNonNull(id);
    Objects.requireNonNull(username);
    groups = Set.copyOf(groups);
  }
}
