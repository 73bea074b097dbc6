package dev.outpost.identity;

import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.http.RequestContext;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * A person's own second factor, in the store API: {@code GET /second-factor} (state), {@code POST
 * /second-factor/totp} (a new authenticator secret, shown as an {@code otpauth://} URI and as text), {@code POST
 * /second-factor/totp/confirm} (its first code; answers the recovery codes, once), {@code POST
 * /second-factor/recovery-codes} (new ones) and {@code POST /second-factor/remove}. Replacing, renewing and removing
 * need a current code; every code checked here counts in the sign-in limits. Local accounts only: directory accounts
 * use their directory's factors.
 */
final class SecondFactorRoutes {

  /** The issuer authenticator apps show next to the account. */
  static final String ISSUER = "Outpost";

  private final LoginService logins;
  private final BiFunction<RoutingContext, LoginService.SignedIn, JsonObject> sessionAnswer;

  /** @param sessionAnswer sets the cookie of a new session and makes what a sign-in answers */
  SecondFactorRoutes(LoginService logins,
      BiFunction<RoutingContext, LoginService.SignedIn, JsonObject> sessionAnswer) {
    this.logins = Objects.requireNonNull(logins);
    this.sessionAnswer = Objects.requireNonNull(sessionAnswer);
  }

  void mount(Router api) {
    AuthHandler enrolling = AuthHandler.enrolling(logins);
    AuthHandler signedIn = AuthHandler.signedIn(logins);
    api.get("/second-factor").handler(enrolling).handler(this::state);
    api.post("/second-factor/totp").handler(enrolling).handler(this::propose);
    api.post("/second-factor/totp/confirm").handler(enrolling).handler(this::confirm);
    api.post("/second-factor/recovery-codes").handler(signedIn).handler(this::renewRecoveryCodes);
    api.post("/second-factor/remove").handler(signedIn).handler(this::remove);
  }

  private void state(RoutingContext ctx) {
    Principal principal = AuthHandler.principal(ctx);
    if (!Principal.LOCAL.equals(principal.signIn())) {
      json(ctx, 200, new JsonObject().put("available", false).put("enrolled", false)
          .put("reason", "accounts from a directory use the second factor of their directory"));
      return;
    }
    account(principal)
        .onSuccess(account -> json(ctx, 200, new JsonObject().put("available", true)
            .put("enrolled", account.secondFactor().enrolled())
            .put("recoveryCodesLeft", account.secondFactor().recoveryHashes().size())
            .put("required", account.secondFactorRequired())
            .put("removable", account.secondFactor().enrolled() && removalRefusal(principal, account) == null)
            .put("rememberDeviceDays", logins.devices().validity().toDays())))
        .onFailure(ctx::fail);
  }

  /** A new secret to enrol; replacing an enrolled one needs its current code. */
  private void propose(RoutingContext ctx) {
    Principal principal = local(ctx);
    String code = ctx.body() == null || ctx.body().length() <= 0 ? null
        : IdentityRoutes.optionalText(JsonBodies.object(ctx), "code");
    account(principal)
        .compose(account -> !account.secondFactor().enrolled() ? Future.succeededFuture()
            : logins.checkSecondFactor(account, required(code, "to replace your authenticator app, send a current "
                + "code of it (or a recovery code) as 'code'"), RequestContext.clientAddress(ctx)).mapEmpty())
        .compose(v -> {
          String secret = Totp.newSecret();
          return logins.secondFactors().propose(principal.userId(), secret).map(secret);
        })
        .onSuccess(secret -> json(ctx, 200, new JsonObject().put("secret", secret)
            .put("otpauthUri", Totp.uri(ISSUER, principal.username(), secret)).put("issuer", ISSUER)
            .put("account", principal.username()).put("digits", Totp.DIGITS).put("period", Totp.STEP_SECONDS)))
        .onFailure(ctx::fail);
  }

  /** The first code of the proposed secret makes it the account's factor; the recovery codes are answered once. */
  private void confirm(RoutingContext ctx) {
    Principal principal = local(ctx);
    String code = IdentityRoutes.requiredText(JsonBodies.object(ctx), "code");
    List<String> recovery = RecoveryCodes.generate();
    account(principal).compose(account -> logins.secondFactors().proposed(principal.userId())
            .compose(secret -> secret == null ? Future.failedFuture(ClientErrorException.conflict("no authenticator "
                + "secret is waiting for its first code (none was made, or it is over an hour old): start again"))
                : logins.checkEnrolmentCode(account, secret, code, RequestContext.clientAddress(ctx))
                    .compose(v -> logins.secondFactors().confirm(principal.userId(), secret,
                        RecoveryCodes.hashes(recovery))))
            .compose(v -> principal.restricted() ? logins.account(principal.username())
                .compose(enrolled -> logins.completeEnrolment(principal, enrolled))
                .map(signedIn -> sessionAnswer.apply(ctx, signedIn)) : Future.succeededFuture(new JsonObject())))
        .onSuccess(answer -> json(ctx, 200, answer.put("recoveryCodes", new JsonArray(recovery))))
        .onFailure(ctx::fail);
  }

  private void renewRecoveryCodes(RoutingContext ctx) {
    Principal principal = local(ctx);
    String code = IdentityRoutes.requiredText(JsonBodies.object(ctx), "code");
    List<String> recovery = RecoveryCodes.generate();
    account(principal)
        .compose(account -> enrolled(account)
            .compose(v -> logins.checkSecondFactor(account, code, RequestContext.clientAddress(ctx))))
        .compose(v -> logins.secondFactors().replaceRecoveryCodes(principal.userId(), RecoveryCodes.hashes(recovery)))
        .onSuccess(v -> json(ctx, 200, new JsonObject().put("recoveryCodes", new JsonArray(recovery))))
        .onFailure(ctx::fail);
  }

  private void remove(RoutingContext ctx) {
    Principal principal = local(ctx);
    String code = IdentityRoutes.requiredText(JsonBodies.object(ctx), "code");
    account(principal)
        .compose(account -> enrolled(account).compose(v -> {
          ClientErrorException refused = removalRefusal(principal, account);
          return refused != null ? Future.failedFuture(refused)
              : logins.checkSecondFactor(account, code, RequestContext.clientAddress(ctx));
        }))
        .compose(v -> logins.secondFactors().remove(principal.userId()))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  /**
   * Why the account may not drop its factor: admins keep theirs once enrolled (another admin can reset it), and so
   * does a member of a group that requires one.
   */
  private static ClientErrorException removalRefusal(Principal principal, AccountDirectory.Account account) {
    if (principal.has(Role.ADMIN)) {
      return ClientErrorException.conflict("admins keep their second factor once enrolled; to move it to a new "
          + "device, set it up again (that replaces it), or ask another admin to reset it");
    }
    if (account.secondFactorRequired()) {
      return ClientErrorException.conflict("a group of " + account.username() + " requires a second factor; to "
          + "move it to a new device, set it up again (that replaces it)");
    }
    return null;
  }

  private static Future<Void> enrolled(AccountDirectory.Account account) {
    return account.secondFactor().enrolled() ? Future.succeededFuture()
        : Future.failedFuture(ClientErrorException.conflict("no authenticator app is enrolled for "
            + account.username()));
  }

  /** The signed-in account as sign-in finds it now; gone or replaced means the session is stale. */
  private Future<AccountDirectory.Account> account(Principal principal) {
    return logins.account(principal.username()).compose(account -> account == null
        || !account.id().equals(principal.userId())
        ? Future.failedFuture(ClientErrorException.unauthorized("the account of this session no longer exists; "
            + "sign in again"))
        : Future.succeededFuture(account));
  }

  private static Principal local(RoutingContext ctx) {
    Principal principal = AuthHandler.principal(ctx);
    if (!Principal.LOCAL.equals(principal.signIn())) {
      throw ClientErrorException.conflict("accounts from a directory use the second factor of their directory; "
          + "Outpost keeps second factors for its local accounts");
    }
    return principal;
  }

  private static String required(String code, String detail) {
    if (code == null) {
      throw ClientErrorException.validation(detail);
    }
    return code;
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(body.encode());
  }
}
