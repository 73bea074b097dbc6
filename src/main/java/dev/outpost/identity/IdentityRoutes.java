package dev.outpost.identity;

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

/** {@code POST /login}, {@code POST /logout} and {@code GET /me} of the store API. */
public final class IdentityRoutes {

  private static final int MAX_FIELD = 256;

  private final LoginService logins;

  public IdentityRoutes(LoginService logins) {
    this.logins = logins;
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
    logins.login(username.trim(), password, RequestContext.clientAddress(ctx))
        .onSuccess(signedIn -> {
          Principal p = signedIn.principal();
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
    logins.logout(principal)
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
