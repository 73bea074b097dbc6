package dev.outpost.relay;

import dev.outpost.identity.AccountOperations;
import dev.outpost.identity.SecondFactors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * Enrolments of authenticator apps kept at the hub, for an appliance that belongs to one: the hub keeps the accounts,
 * so it keeps their factors (sealed with its key); the appliance's local host cache gets them with the accounts.
 */
public final class RelayedSecondFactors implements SecondFactors {

  private final HubChannel hub;

  public RelayedSecondFactors(HubChannel hub) {
    this.hub = Objects.requireNonNull(hub);
  }

  @Override
  public Future<Void> propose(String userId, String secret) {
    return hub.request(AccountOperations.FACTOR_PROPOSE, new JsonObject().put("userId", userId).put("secret", secret))
        .mapEmpty();
  }

  @Override
  public Future<String> proposed(String userId) {
    return hub.request(AccountOperations.FACTOR_PROPOSED, new JsonObject().put("userId", userId))
        .map(answer -> answer.getString("secret"));
  }

  @Override
  public Future<Void> confirm(String userId, String secret, List<String> recoveryHashes) {
    return hub.request(AccountOperations.FACTOR_CONFIRM, new JsonObject().put("userId", userId).put("secret", secret)
        .put("recovery", new JsonArray(recoveryHashes))).mapEmpty();
  }

  @Override
  public Future<Void> replaceRecoveryCodes(String userId, List<String> recoveryHashes) {
    return hub.request(AccountOperations.FACTOR_RECOVERY_CODES, new JsonObject().put("userId", userId)
        .put("recovery", new JsonArray(recoveryHashes))).mapEmpty();
  }

  @Override
  public Future<Boolean> spendRecoveryCode(String userId, String hash) {
    return hub.request(AccountOperations.FACTOR_SPEND, new JsonObject().put("userId", userId).put("hash", hash))
        .map(answer -> answer.getBoolean("spent", false));
  }

  @Override
  public Future<Boolean> remove(String userId) {
    return hub.request(AccountOperations.FACTOR_REMOVE, new JsonObject().put("userId", userId))
        .map(answer -> answer.getBoolean("removed", false));
  }
}
