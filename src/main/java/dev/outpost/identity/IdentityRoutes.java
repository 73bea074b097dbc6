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
 * {@code POST /login}, {@code POST /logout} and {@code GET /me} of the store API. A sign-in may carry the client's
 * {@code deviceKey} (base64 of an Ed25519 SubjectPublicKeyInfo); its thumbprint is kept in the session.
 */
public final class IdentityRoutes {

  private static final int MAX_FIELD = 256;

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
    api.post("/logout").handler(AuthHandler.signedIn(logins)).handler(this::logout);
    api.get("/me").handler(AuthHandler.signedIn(logins)).handler(this::me);
  }

  private void login(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String username = requiredText(body, "username");
    String password = requiredText(body, "password");
    String device = deviceThumbprint(body);
    logins.login(username.trim(), password, RequestContext.clientAddress(ctx), device)
        .onSuccess(signedIn -> {
          Principal p = signedIn.principal();
          hooks.signedIn(p, ctx);
          ctx.response().addCookie(sessionCookie(signedIn.token(), Duration.between(Instant.now(), p.expiresAt())));
          ctx.response().putHeader("Cache-Control", "no-store").putHeader("Content-Type", "application/json")
              .end(new JsonObject()
                  .put("token", signedIn.token())
                  .put("csrfToken", p.csrfToken())
                  .put("expiresAt", p.expiresAt().toString())
                  .put("signIn", p.signIn())
                  .put("user", p.userJson())
                  .encode());
        })
        .onFailure(ctx::fail);
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

  private static String requiredText(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (!(value instanceof String text) || text.isEmpty()) {
      throw ClientErrorException.validation("field '" + field + "' is required and must be a non-empty string");
    }
    if (text.length() > MAX_FIELD || text.indexOf('\0') >= 0) {
      throw ClientErrorException.validation("field '" + field + "' must be at most " + MAX_FIELD
          + " characters without NUL bytes");
    }
    return text;
  }
}
