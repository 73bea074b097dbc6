package dev.outpost.identity;

import dev.outpost.identity.AccountDirectory.Account;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import java.util.Set;

/** The wire and disk form of an {@link Account}, password hash included (it never leaves Outpost's nodes). */
public final class AccountJson {

  private AccountJson() {
  }

  public static JsonObject toJson(Account account) {
    return new JsonObject().put("id", account.id()).put("username", account.username())
        .put("displayName", account.displayName()).put("passwordHash", account.passwordHash())
        .put("disabled", account.disabled())
        .put("roles", new JsonArray(account.roles().stream().map(Role::wireName).sorted().toList()));
  }

  /** The account, or {@code null} for an empty object (no such account). */
  public static Account fromJson(JsonObject json) {
    if (json.getString("id") == null) {
      return null;
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    json.getJsonArray("roles", new JsonArray()).forEach(name -> Role.parse(String.valueOf(name)).ifPresent(roles::add));
    return new Account(json.getString("id"), json.getString("username"), json.getString("displayName", ""),
        json.getString("passwordHash"), roles, json.getBoolean("disabled", false));
  }
}
