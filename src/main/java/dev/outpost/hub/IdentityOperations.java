package dev.outpost.hub;

import dev.outpost.identity.AccountOperations;
import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.AccountJson;
import dev.outpost.identity.UserAccounts;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.function.Function;

/** The hub's answers to what appliances ask about users ({@link AccountOperations}). */
public final class IdentityOperations implements HubOperations {


  private final UserAccounts accounts;

  public IdentityOperations(UserAccounts accounts) {
    this.accounts = Objects.requireNonNull(accounts);
  }

  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    if (AccountOperations.SNAPSHOT.equals(op)) {
      return body -> accounts.all().map(all -> new JsonObject().put("items",
          new JsonArray(all.stream().map(AccountJson::toJson).toList())));
    }
    if (!AccountOperations.ACCOUNT.equals(op)) {
      return null;
    }
    return body -> {
      if (!(body.getValue("username") instanceof String username) || username.isEmpty()) {
        return Future.failedFuture(ClientErrorException.validation("username is required"));
      }
      return accounts.find(username).map(account -> account == null ? new JsonObject() : AccountJson.toJson(account));
    };
  }
}
