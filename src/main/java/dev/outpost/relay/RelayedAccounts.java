package dev.outpost.relay;

import dev.outpost.error.ServerErrorException;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.AccountJson;
import dev.outpost.identity.AccountOperations;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/** Accounts looked up at the hub over the tunnel; the password is verified here, never sent. */
public final class RelayedAccounts implements AccountDirectory {

  private final HubChannel hub;

  public RelayedAccounts(HubChannel hub) {
    this.hub = Objects.requireNonNull(hub);
  }

  /**
   * Sign-in accounts of a node with a separate hub: the hub's while it brokers (the local host cache's copy when a
   * lookup cannot reach it), the cache's while the node brokers alone.
   *
   * @param brokeringLocally whether the node brokers from its local host cache now
   */
  public static AccountDirectory orCached(HubChannel hub, LocalHostCache cache, BooleanSupplier brokeringLocally) {
    AccountDirectory atHub = new RelayedAccounts(hub);
    return username -> brokeringLocally.getAsBoolean() ? cache.find(username)
        : atHub.find(username).recover(e -> e instanceof ServerErrorException ? cache.find(username)
            : Future.failedFuture(e));
  }

  @Override
  public Future<Account> find(String username) {
    return hub.request(AccountOperations.ACCOUNT, new JsonObject().put("username", username))
        .map(AccountJson::fromJson);
  }
}
