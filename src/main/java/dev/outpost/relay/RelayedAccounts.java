package dev.outpost.relay;

import dev.outpost.hub.IdentityOperations;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.Role;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/** Accounts looked up at the hub over the tunnel; the password is verified here, never sent. */
public final class RelayedAccounts implements AccountDirectory {

  private final HubLink hub;

  public RelayedAccounts(HubLink hub) {
    this.hub = Objects.requireNonNull(hub);
  }

  @Override
  public Future<Account> find(String username) {
    return hub.request(IdentityOperations.ACCOUNT, new JsonObject().put("username", username))
        .map(json -> json.getString("id") == null ? null : new Account(json.getString("id"), json.getString("username"),
            json.getString("displayName", ""), json.getString("passwordHash"), roles(json),
            json.getBoolean("disabled", false)));
  }

  private static Set<Role> roles(JsonObject json) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    json.getJsonArray("roles").forEach(name -> Role.parse(String.valueOf(name)).ifPresent(roles::add));
    return roles;
  }
}
