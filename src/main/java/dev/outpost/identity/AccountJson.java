package dev.outpost.identity;

import dev.outpost.crypto.SecretBox;
import dev.outpost.identity.AccountDirectory.Account;
import dev.outpost.identity.AccountDirectory.SecondFactor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wire and disk forms of an {@link Account}, password hash and second factor included (they never leave Outpost's
 * nodes). On the wire (the hub tunnel, mutual TLS, or in process) the authenticator secret travels in clear; on disk
 * ({@link #toStoredJson}) it is sealed.
 */
public final class AccountJson {

  private static final Logger LOG = LoggerFactory.getLogger(AccountJson.class);

  private AccountJson() {
  }

  public static JsonObject toJson(Account account) {
    JsonObject json = base(account);
    SecondFactor factor = account.secondFactor();
    if (factor.enrolled()) {
      json.put("secondFactor", new JsonObject().put("id", factor.id()).put("totp", factor.totpSecret())
          .put("recovery", new JsonArray(factor.recoveryHashes())));
    }
    return json;
  }

  /** The account, or {@code null} for an empty object (no such account). */
  public static Account fromJson(JsonObject json) {
    return read(json, factor -> factor.getString("totp"));
  }

  /** The disk form: the authenticator secret sealed with {@code box} (left out when {@code box} is null). */
  public static JsonObject toStoredJson(Account account, SecretBox box) {
    JsonObject json = base(account);
    SecondFactor factor = account.secondFactor();
    if (factor.enrolled()) {
      JsonObject stored = new JsonObject().put("id", factor.id())
          .put("recovery", new JsonArray(factor.recoveryHashes()));
      if (box != null && factor.totpSecret() != null) {
        stored.put("totpSealed", box.seal(SecondFactors.sealPurpose(account.id()), factor.totpSecret()));
      }
      json.put("secondFactor", stored);
    }
    return json;
  }

  /**
   * Reads what {@link #toStoredJson} wrote. A secret that {@code box} cannot open leaves the factor enrolled without
   * a secret, so that no code is accepted rather than none asked for.
   */
  public static Account fromStoredJson(JsonObject json, SecretBox box) {
    return read(json, factor -> {
      String sealed = factor.getString("totpSealed");
      if (sealed == null || box == null) {
        return null;
      }
      try {
        return box.open(SecondFactors.sealPurpose(json.getString("id")), sealed);
      } catch (IllegalArgumentException e) {
        LOG.warn("The authenticator secret of {} cannot be opened with this node's key for stored secrets ({}); "
            + "the account's codes cannot be checked from this copy", json.getString("username"), e.getMessage());
        return null;
      }
    });
  }

  private static JsonObject base(Account account) {
    return new JsonObject().put("id", account.id()).put("username", account.username())
        .put("displayName", account.displayName()).put("passwordHash", account.passwordHash())
        .put("disabled", account.disabled())
        .put("roles", new JsonArray(account.roles().stream().map(Role::wireName).sorted().toList()))
        .put("secondFactorRequired", account.secondFactorRequired());
  }

  private static Account read(JsonObject json, java.util.function.Function<JsonObject, String> secret) {
    if (json.getString("id") == null) {
      return null;
    }
    Set<Role> roles = EnumSet.noneOf(Role.class);
    json.getJsonArray("roles", new JsonArray()).forEach(name -> Role.parse(String.valueOf(name)).ifPresent(roles::add));
    JsonObject factor = json.getJsonObject("secondFactor");
    SecondFactor second = factor == null || factor.getString("id") == null ? SecondFactor.NONE
        : new SecondFactor(factor.getString("id"), secret.apply(factor), List.copyOf(factor
            .getJsonArray("recovery", new JsonArray()).stream().map(String::valueOf).toList()));
    return new Account(json.getString("id"), json.getString("username"), json.getString("displayName", ""),
        json.getString("passwordHash"), roles, json.getBoolean("disabled", false), second,
        json.getBoolean("secondFactorRequired", false));
  }
}
