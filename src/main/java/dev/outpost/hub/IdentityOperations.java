package dev.outpost.hub;

import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.AccountJson;
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
  /** Every account of the site with its hash: {@code {} -> {items:[account]}}, for appliances' local host cache. */
  public static final String SNAPSHOT = "identity.snapshot";
  /**
   * Hub to appliance, at once to every connected one: an admin took access away from an account.
   * {@code {userId, account?} -> {}}, {@code account} as in {@link #ACCOUNT} and absent when it was deleted; the
   * appliance ends the user's sessions in its cluster and updates its local host cache's copy of the account.
   */
  public static final String ACCESS_WITHDRAWN = "identity.access-withdrawn";

  private final UserAccounts accounts;

  public IdentityOperations(UserAccounts accounts) {
    this.accounts = Objects.requireNonNull(accounts);
  }

  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    if (SNAPSHOT.equals(op)) {
      return body -> accounts.all().map(all -> new JsonObject().put("items",
          new JsonArray(all.stream().map(AccountJson::toJson).toList())));
    }
    if (!ACCOUNT.equals(op)) {
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
