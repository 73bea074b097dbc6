package dev.outpost.identity;

import dev.outpost.error.ClientErrorException;
import dev.outpost.http.RequestContext;
import io.vertx.core.Handler;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Authenticates API requests by bearer token ({@code Authorization: Bearer ...}) or by the session cookie.
 * Cookie-authenticated state changes must carry the session's CSRF token in {@code X-CSRF-Token}. The
 * principal is put on the routing context for later handlers.
 */
public final class AuthHandler implements Handler<RoutingContext> {

  public static final String COOKIE = "__Host-outpost_session";
  public static final String CSRF_HEADER = "X-CSRF-Token";
  private static final String PRINCIPAL_KEY = "outpost.principal";
  private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final LoginService logins;
  private final Set<Role> anyOf;

  private AuthHandler(LoginService logins, Set<Role> anyOf) {
    this.logins = Objects.requireNonNull(logins);
    this.anyOf = anyOf;
  }

  /** Any signed-in account. */
  public static AuthHandler signedIn(LoginService logins) {
    return new AuthHandler(logins, EnumSet.noneOf(Role.class));
  }

  /** A signed-in account holding at least one of these roles; others get 403. */
  public static AuthHandler requireAny(LoginService logins, Role first, Role... more) {
    return new AuthHandler(logins, EnumSet.of(first, more));
  }

  public static Principal principal(RoutingContext ctx) {
    Principal p = ctx.get(PRINCIPAL_KEY);
    if (p == null) {
      throw ClientErrorException.unauthorized("sign in first");
    }
    return p;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    boolean bearer = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7);
    String token = bearer ? header.substring(7).trim() : cookieToken(ctx);
    if (token == null) {
      ctx.fail(ClientErrorException.unauthorized(
          "sign in first: POST /api/v1/login, then send 'Authorization: Bearer <token>' or the session cookie"));
      return;
    }
    logins.authenticate(token).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      Principal principal = ar.result();
      if (principal == null) {
        ctx.fail(ClientErrorException.unauthorized("the session has expired or was signed out; sign in again"));
        return;
      }
      if (!bearer && !SAFE.contains(ctx.request().method()) && !csrfMatches(ctx, principal)) {
        ctx.fail(new ClientErrorException(403, "csrf",
            "missing or wrong " + CSRF_HEADER + " header; cookie sessions must echo the csrfToken from sign-in"));
        return;
      }
      ctx.put(PRINCIPAL_KEY, principal);
      ctx.put(RequestContext.USER_KEY, principal.username());
      if (!anyOf.isEmpty() && anyOf.stream().noneMatch(principal::has)) {
        ctx.fail(ClientErrorException.forbidden("user " + principal.username() + " lacks the role needed here ("
            + String.join(" or ", anyOf.stream().map(Role::wireName).toList()) + ")"));
        return;
      }
      ctx.next();
    });
  }

  private static String cookieToken(RoutingContext ctx) {
    Cookie cookie = ctx.request().getCookie(COOKIE);
    return cookie == null ? null : cookie.getValue();
  }

  private static boolean csrfMatches(RoutingContext ctx, Principal principal) {
    String sent = ctx.request().getHeader(CSRF_HEADER);
    return sent != null && principal.csrfToken() != null && MessageDigest.isEqual(
        sent.getBytes(StandardCharsets.UTF_8), principal.csrfToken().getBytes(StandardCharsets.UTF_8));
  }
}
