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
 * principal is put on the routing context for later handlers. API tokens pass only where the admin API asks for a
 * role ({@link #requireAny}), only in the Authorization header, and a read-only one only for reads; a session that
 * may only enrol a second factor passes only the routes of {@link #enrolling}.
 */
public final class AuthHandler implements Handler<RoutingContext> {

  public static final String COOKIE = "__Host-outpost_session";
  public static final String CSRF_HEADER = "X-CSRF-Token";
  private static final String PRINCIPAL_KEY = "outpost.principal";
  private static final Set<HttpMethod> SAFE = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS);

  private final LoginService logins;
  private final Set<Role> anyOf;
  /** Whether API tokens are accepted here (the admin API). */
  private final boolean tokens;
  /** Whether a session that may only enrol a second factor is accepted here. */
  private final boolean enrolment;

  private AuthHandler(LoginService logins, Set<Role> anyOf, boolean tokens, boolean enrolment) {
    this.logins = Objects.requireNonNull(logins);
    this.anyOf = anyOf;
    this.tokens = tokens;
    this.enrolment = enrolment;
  }

  /** Any signed-in account with a full session. */
  public static AuthHandler signedIn(LoginService logins) {
    return new AuthHandler(logins, EnumSet.noneOf(Role.class), false, false);
  }

  /**
   * Any signed-in account, also one whose session may only enrol the second factor its group requires (who am I,
   * sign out, enrolment).
   */
  public static AuthHandler enrolling(LoginService logins) {
    return new AuthHandler(logins, EnumSet.noneOf(Role.class), false, true);
  }

  /** A signed-in account or an API token holding at least one of these roles; others get 403. */
  public static AuthHandler requireAny(LoginService logins, Role first, Role... more) {
    return new AuthHandler(logins, EnumSet.of(first, more), true, false);
  }

  /** A signed-in account (never an API token) holding at least one of these roles; others get 403. */
  public static AuthHandler sessionWithAny(LoginService logins, Role first, Role... more) {
    return new AuthHandler(logins, EnumSet.of(first, more), false, false);
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
      ClientErrorException refused = refusal(principal, bearer, ctx.request().method());
      if (refused != null) {
        ctx.fail(refused);
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

  /** Why this kind of principal may not make this request here, or {@code null} when it may. */
  private ClientErrorException refusal(Principal principal, boolean bearer, HttpMethod method) {
    Principal.TokenGrant token = principal.token();
    if (token != null) {
      if (!bearer) {
        return ClientErrorException.unauthorized("API tokens are accepted only in the Authorization header");
      }
      if (!tokens) {
        return new ClientErrorException(403, "api-token-not-accepted", "API tokens work only with the admin API "
            + "(/admin/api/v1); they never open the store or the console: sign in with your password instead");
      }
      if (token.scope() == TokenScope.READ_ONLY && !SAFE.contains(method)) {
        return new ClientErrorException(403, "read-only-token", "the API token '" + token.name()
            + "' is read-only: it may only read (GET)");
      }
      return null;
    }
    if (principal.restricted() && !(enrolment && Principal.ENROL_SECOND_FACTOR.equals(principal.restriction()))) {
      return new ClientErrorException(403, "second-factor-enrolment-required", "a group of " + principal.username()
          + " requires a second factor: enrol an authenticator app in the store (Two-step sign-in) first");
    }
    return null;
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
