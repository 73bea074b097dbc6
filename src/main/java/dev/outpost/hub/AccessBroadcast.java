package dev.outpost.hub;

import dev.outpost.identity.AccountOperations;
import dev.outpost.identity.AccountJson;
import dev.outpost.identity.UserAccounts;
import dev.outpost.lease.LeaseOperations;
import dev.outpost.lease.Revocation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the hub tells every connected appliance node at once, rather than at its next sync, when access is taken
 * away: lease revocations ({@link LeaseOperations#REVOKED}) and accounts that were disabled, given a new password,
 * demoted or deleted ({@link IdentityOperations#ACCESS_WITHDRAWN}). So a user's leases, sessions and cached account
 * change on the appliances before the admin gets the answer, and stay changed when the hub goes away right after.
 * Never fails: a node that is not connected learns it at its next sync.
 */
final class AccessBroadcast {

  private static final Logger LOG = LoggerFactory.getLogger(AccessBroadcast.class);

  private final BiFunction<String, JsonObject, Future<Integer>> sendToAll;
  private final UserAccounts accounts;

  /** @param sendToAll sends a request to every connected appliance node; answers how many took it */
  AccessBroadcast(BiFunction<String, JsonObject, Future<Integer>> sendToAll, UserAccounts accounts) {
    this.sendToAll = Objects.requireNonNull(sendToAll);
    this.accounts = Objects.requireNonNull(accounts);
  }

  /** A revocation made at the hub (an admin's, or an account change's). */
  Future<Void> revoked(Revocation revocation) {
    return sendToAll.apply(LeaseOperations.REVOKED, new JsonObject().put("revocation", revocation.toJson()))
        .onSuccess(n -> LOG.atInfo().addKeyValue("revocation", revocation.id())
            .log("Lease revocation {} sent to {} appliance node(s)", revocation.id(), n))
        .mapEmpty();
  }

  /** An account lost access: the appliances get its new state (none when it was deleted) with the notice. */
  Future<Void> withdrawn(String userId, String username) {
    return accounts.find(username)
        .map(account -> {
          JsonObject body = new JsonObject().put("userId", userId);
          if (account != null && account.id().equals(userId)) {
            body.put("account", AccountJson.toJson(account));
          }
          return body;
        })
        .compose(body -> sendToAll.apply(AccountOperations.ACCESS_WITHDRAWN, body))
        .onSuccess(n -> LOG.atInfo().addKeyValue("userId", userId)
            .log("The withdrawn access of {} sent to {} appliance node(s)", username, n))
        .recover(e -> {
          LOG.warn("Could not tell the appliances that {} lost access ({}); they learn it at their next sync",
              username, e.getMessage());
          return Future.succeededFuture();
        })
        .mapEmpty();
  }
}
