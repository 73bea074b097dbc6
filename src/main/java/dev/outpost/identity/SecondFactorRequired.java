package dev.outpost.identity;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;

/**
 * The password was right and the account has a second factor: the sign-in goes on at
 * {@code POST /api/v1/login/second-factor} with {@link #token} and a code (or again at {@code POST /api/v1/login}
 * with {@code code}). A 401 problem whose extension members carry the token, its expiry and the methods accepted.
 */
public final class SecondFactorRequired extends ClientErrorException {

  private static final long serialVersionUID = 1L;
  public static final String TYPE = "second-factor-required";

  private final String token;
  private final Instant expiresAt;

  public SecondFactorRequired(String token, Instant expiresAt) {
    super(401, TYPE, "this account signs in with a second factor: send the current code of your authenticator app, "
        + "or one of your recovery codes, with the secondFactorToken to POST /api/v1/login/second-factor");
    this.token = token;
    this.expiresAt = expiresAt;
  }

  public String token() {
    return token;
  }

  @Override
  public JsonObject members() {
    return new JsonObject().put("secondFactorToken", token).put("expiresAt", expiresAt.toString())
        .put("methods", new JsonArray(List.of(Principal.TOTP, Principal.RECOVERY_CODE)));
  }
}
