package dev.outpost.identity.directory;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What the admin API asks of a directory: run by an appliance of the directory's location (the hub relays,
 * since it never reaches a directory itself).
 */
public interface DirectoryProbe {

  /**
   * Binds with the service account, finds the user and their groups, and checks the password when one is given:
   * {@code {bind:{ok, url, detail}, user:{found, dn, username, displayName}, groups:[dn], password:"accepted"|
   * "refused"|"not-checked"}}.
   */
  Future<JsonObject> test(String directoryId, String username, String password);

  /** Groups whose name contains {@code query} (all groups when empty), at most 100: {@code [{dn, name}]}. */
  Future<JsonArray> groups(String directoryId, String query);
}
