package dev.outpost.identity;

import dev.outpost.crypto.DeviceKeys;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.http.RequestContext;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code POST /login}, {@code POST /login/second-factor}, {@code POST /logout}, {@code GET /me} and the enrolment of
 * second factors ({@link SecondFactorRoutes}) of the store API. A sign-in may carry the client's {@code deviceKey}
 * (base64 of an Ed25519 SubjectPublicKeyInfo); its thumbprint is kept in the session. An account with a second
 * factor also sends {@code code}, or a {@code rememberedDevice} grant with a {@code deviceProof}, or completes the
 * sign-in at {@code /login/second-factor}.
 */
public final class IdentityRoutes {

  private static final int MAX_FIELD = 256;
  /** Longest remembered-device grant accepted (they are about 250 characters). */
  private static final int MAX_GRANT = 1024;

  /** What else happens when someone signs in or out here (e.g. their connection lease). */
  public interface SignInHooks {
    /** After a successful sign-in; must not block or fail the sign-in. */
    void signedIn(Principal principal, RoutingContext ctx);

    /** Before the session ends. */
    io.vertx.core.Future<Void> signingOut(Principal principal);

    SignInHooks NONE = new SignInHooks() {
      @Override
      public void signedIn(Principal principal, RoutingContext ctx) {
      }

      @Override
      public io.vertx.core.Future<Void> signingOut(Principal principal) {
        return io.vertx.core.Future.succeededFuture();
      }
    };
  }

  private final LoginService logins;
  private final SignInHooks hooks;

  public IdentityRoutes(LoginService logins) {
    this(logins, SignInHooks.NONE);
  }

  public IdentityRoutes(LoginService logins, SignInHooks hooks) {
    this.logins = logins;
    this.hooks = java.util.Objects.requireNonNull(hooks);
  }

  /** Mounts the routes on the store API router (which already has a body handler). */
  public void mount(Router api) {
    api.post("/login").handler(this::login);
    api.post("/login/second-factor").handler(this::secondFactor);
    api.post("/logout").handler(AuthHandler.enrolling(logins)).handler(this::logout);
    api.get("/me").handler(AuthHandler.enrolling(logins)).handler(this::me);
    new SecondFactorRoutes(logins, this::sessionAnswer).mount(api);
  }

  private void login(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String username = requiredText(body, "username");
    String password = requiredText(body, "password");
    String device = deviceThumbprint(body);
    LoginService.SecondStep step = new LoginService.SecondStep(optionalText(body, "code"),
        device == null ? null : body.getString("deviceKey"), optionalText(body, "deviceProof"),
        optionalText(body, "rememberedDevice", MAX_GRANT), rememberDevice(body));
    logins.login(username.trim(), password, RequestContext.clientAddress(ctx), device, step)
        .onSuccess(signedIn -> answer(ctx, signedIn))
        .onFailure(ctx::fail);
  }

  /** The second step of a sign-in: {@code {secondFactorToken, code, rememberDevice?, deviceKey?}}. */
  private void secondFactor(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String token = requiredText(body, "secondFactorToken");
    String code = requiredText(body, "code");
    String device = deviceThumbprint(body);
    logins.completeSignIn(token, code, RequestContext.clientAddress(ctx), device, rememberDevice(body))
        .onSuccess(signedIn -> answer(ctx, signedIn))
        .onFailure(ctx::fail);
  }

  /** Answers a sign-in: the token once, the cookie, the CSRF token and who signed in. */
  private void answer(RoutingContext ctx, LoginService.SignedIn signedIn) {
    JsonObject answer = sessionAnswer(ctx, signedIn);
    ctx.response().putHeader("Cache-Control", "no-store").putHeader("Content-Type", "application/json")
        .end(answer.encode());
  }

  /** What a sign-in answers, with its cookie set on the response; the caller ends the response. */
  JsonObject sessionAnswer(RoutingContext ctx, LoginService.SignedIn signedIn) {
    Principal p = signedIn.principal();
    if (!p.restricted()) {
      hooks.signedIn(p, ctx);
    }
    ctx.response().addCookie(sessionCookie(signedIn.token(), Duration.between(Instant.now(), p.expiresAt())));
    JsonObject answer = new JsonObject()
        .put("token", signedIn.token())
        .put("csrfToken", p.csrfToken())
        .put("expiresAt", p.expiresAt().toString())
        .put("signIn", p.signIn())
        .put("user", p.userJson());
    if (signedIn.rememberedDevice() != null) {
      answer.put("rememberedDevice", signedIn.rememberedDevice())
          .put("rememberedUntil", Instant.now().plus(logins.devices().validity()).toString());
    }
    return answer;
  }

  private void logout(RoutingContext ctx) {
    Principal principal = AuthHandler.principal(ctx);
    hooks.signingOut(principal)
        .compose(v -> logins.logout(principal))
        .onSuccess(v -> {
          ctx.response().addCookie(sessionCookie("", Duration.ZERO));
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  private void me(RoutingContext ctx) {
    Principal p = AuthHandler.principal(ctx);
    ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
        .end(new JsonObject().put("user", p.userJson()).put("csrfToken", p.csrfToken())
            .put("expiresAt", p.expiresAt().toString()).encode());
  }

  private static Cookie sessionCookie(String value, Duration maxAge) {
    return Cookie.cookie(AuthHandler.COOKIE, value)
        .setPath("/")
        .setSecure(true)
        .setHttpOnly(true)
        .setSameSite(CookieSameSite.STRICT)
        .setMaxAge(Math.max(0, maxAge.toSeconds()));
  }

  /** The thumbprint of the sign-in's {@code deviceKey}, or {@code null} when it has none. */
  private static String deviceThumbprint(JsonObject body) {
    Object value = body.getValue("deviceKey");
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text)) {
      throw ClientErrorException.validation("field 'deviceKey' must be a string");
    }
    try {
      return DeviceKeys.parse(text).thumbprint();
    } catch (IllegalArgumentException e) {
      throw ClientErrorException.validation(e.getMessage());
    }
  }

  private static boolean rememberDevice(JsonObject body) {
    Object value = body.getValue("rememberDevice");
    if (value != null && !(value instanceof Boolean)) {
      throw ClientErrorException.validation("field 'rememberDevice' must be true or false");
    }
    return Boolean.TRUE.equals(value);
  }

  /** A text field that may be absent; present, it must be a short string. */
  static String optionalText(JsonObject body, String field) {
    return optionalText(body, field, MAX_FIELD);
  }

  static String optionalText(JsonObject body, String field, int max) {
    Object value = body.getValue(field);
    return value == null ? null : requiredText(body, field, max);
  }

  static String requiredText(JsonObject body, String field) {
    return requiredText(body, field, MAX_FIELD);
  }

  private static String requiredText(JsonObject body, String field, int max) {
    Object value = body.getValue(field);
    if (!(value instanceof String text) || text.isEmpty()) {
      throw ClientErrorException.validation("field '" + field + "' is required and must be a non-empty string");
    }
    if (text.length() > max || text.indexOf('\0') >= 0) {
      throw ClientErrorException.validation("field '" + field + "' must be at most " + max
          + " characters without NUL bytes");
    }
    return text;
  }
}
