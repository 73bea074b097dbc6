package dev.outpost.hub;

import dev.outpost.identity.AccountOperations;
import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.AccountJson;
import dev.outpost.identity.SecondFactors;
import dev.outpost.identity.UserAccounts;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/** The hub's answers to what appliances ask about users and their second factors ({@link AccountOperations}). */
public final class IdentityOperations implements HubOperations {

  private final UserAccounts accounts;
  private final SecondFactors factors;

  public IdentityOperations(UserAccounts accounts, SecondFactors factors) {
    this.accounts = Objects.requireNonNull(accounts);
    this.factors = Objects.requireNonNull(factors);
  }

  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    Function<JsonObject, Future<JsonObject>> handler = handler(op);
    // a malformed body is the caller's 400, answered as a failed future like any other
    return handler == null ? null : body -> Future.<JsonObject>succeededFuture().compose(v -> handler.apply(body));
  }

  private Function<JsonObject, Future<JsonObject>> handler(String op) {
    return switch (op) {
      case AccountOperations.SNAPSHOT -> body -> accounts.all().map(all -> new JsonObject().put("items",
          new JsonArray(all.stream().map(AccountJson::toJson).toList())));
      case AccountOperations.ACCOUNT -> this::account;
      case AccountOperations.FACTOR_PROPOSE -> body -> factors.propose(userId(body), text(body, "secret"))
          .map(v -> new JsonObject());
      case AccountOperations.FACTOR_PROPOSED -> body -> factors.proposed(userId(body))
          .map(secret -> secret == null ? new JsonObject() : new JsonObject().put("secret", secret));
      case AccountOperations.FACTOR_CONFIRM -> body -> factors.confirm(userId(body), text(body, "secret"),
          hashes(body)).map(v -> new JsonObject());
      case AccountOperations.FACTOR_RECOVERY_CODES -> body -> factors.replaceRecoveryCodes(userId(body), hashes(body))
          .map(v -> new JsonObject());
      case AccountOperations.FACTOR_SPEND -> body -> factors.spendRecoveryCode(userId(body), text(body, "hash"))
          .map(spent -> new JsonObject().put("spent", spent));
      case AccountOperations.FACTOR_REMOVE -> body -> factors.remove(userId(body))
          .map(removed -> new JsonObject().put("removed", removed));
      default -> null;
    };
  }

  private Future<JsonObject> account(JsonObject body) {
    if (!(body.getValue("username") instanceof String username) || username.isEmpty()) {
      return Future.failedFuture(ClientErrorException.validation("username is required"));
    }
    return accounts.find(username).map(account -> account == null ? new JsonObject() : AccountJson.toJson(account));
  }

  private static String userId(JsonObject body) {
    String id = text(body, "userId");
    try {
      return UUID.fromString(id).toString();
    } catch (IllegalArgumentException e) {
      throw ClientErrorException.validation("userId must be an account id");
    }
  }

  private static String text(JsonObject body, String field) {
    if (!(body.getValue(field) instanceof String text) || text.isEmpty() || text.length() > 256) {
      throw ClientErrorException.validation(field + " is required");
    }
    return text;
  }

  private static List<String> hashes(JsonObject body) {
    JsonArray recovery = body.getJsonArray("recovery", new JsonArray());
    if (recovery.size() > 64) {
      throw ClientErrorException.validation("at most 64 recovery codes");
    }
    return recovery.stream().map(String::valueOf).toList();
  }
}
