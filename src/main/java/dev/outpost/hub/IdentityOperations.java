package dev.outpost.hub;

import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.Role;
import dev.outpost.identity.UserAccounts;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.function.Function;

/**
 * What appliances ask the hub about users: {@code identity.account {username}} answers the account with its
 * password hash (or {@code {}} when unknown), so that the appliance verifies the password itself and the
 * password never travels to the hub.
 */
public final class IdentityOperations implements HubOperations {

  public static final String ACCOUNT = "identity.account";

  private final UserAccounts accounts;

  public IdentityOperations(UserAccounts accounts) {
    this.accounts = Objects.requireNonNull(accounts);
  }

  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    if (!ACCOUNT.equals(op)) {
      return null;
    }
    return body -> {
      if (!(body.getValue("username") instanceof String username) || username.isEmpty()) {
        return Future.failedFuture(ClientErrorException.validation("username is required"));
      }
      return accounts.find(username).map(account -> account == null ? new JsonObject() : new JsonObject()
          .put("id", account.id()).put("username", account.username()).put("displayName", account.displayName())
          .put("passwordHash", account.passwordHash()).put("disabled", account.disabled())
          .put("roles", new JsonArray(account.roles().stream().map(Role::wireName).toList())));
    };
  }
}
