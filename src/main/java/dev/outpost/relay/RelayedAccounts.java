package dev.outpost.relay;

import dev.outpost.identity.AccountOperations;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.AccountJson;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/** Accounts looked up at the hub over the tunnel; the password is verified here, never sent. */
public final class RelayedAccounts implements AccountDirectory {

  private final HubChannel hub;

  public RelayedAccounts(HubChannel hub) {
    this.hub = Objects.requireNonNull(hub);
  }

  @Override
  public Future<Account> find(String username) {
    return hub.request(AccountOperations.ACCOUNT, new JsonObject().put("username", username))
        .map(AccountJson::fromJson);
  }
}
