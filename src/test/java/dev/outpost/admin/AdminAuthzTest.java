package dev.outpost.admin;

import static dev.outpost.admin.AdminCalls.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.SiteExtension;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Only admins reach the admin API: every registered route and method (read from the router, so new routes
 * are covered without editing this test) answers 401 to anonymous callers and 403 to other roles; the help desk
 * reaches sessions and its own API tokens. API tokens act within their scope on every route: a read-only token only
 * reads, a session-admin token reaches only what the help desk does, and no token manages tokens.
 */
@ExtendWith(SiteExtension.class)
class AdminAuthzTest {

  private static final String PASSWORD = "authz-test-password-7";
  /** A valid body per collection, so that a hole in the checks would show as a successful change. */
  private static final Map<String, JsonObject> BODIES = Map.ofEntries(
      Map.entry("users", new JsonObject().put("username", "authz-new").put("roles", new JsonArray().add("admin"))),
      Map.entry("groups", new JsonObject().put("name", "authz-new")),
      Map.entry("pools", new JsonObject().put("name", "authz-new").put("maxSessionsPerHost", 1)),
      Map.entry("resources", new JsonObject().put("name", "authz-new").put("pool", "authz-pool").put("kind", "app")
          .put("port", 1)),
      Map.entry("entitlements", new JsonObject().put("resource", "authz-res").put("group", "authz-group")),
      Map.entry("hosts", new JsonObject().put("draining", true)),
      Map.entry("sessions", new JsonObject()),
      Map.entry("enroll-tokens", new JsonObject().put("pool", "authz-pool")),
      Map.entry("directories", new JsonObject().put("name", "authz-new")
          .put("urls", new JsonArray().add("ldap://127.0.0.1:1")).put("tls", "none").put("bindDn", "cn=x")
          .put("bindSecret", "x").put("userBase", "dc=x")),
      Map.entry("leases", new JsonObject().put("user", "authz-user")),
      Map.entry("api-tokens", new JsonObject().put("name", "authz-new").put("scope", "session-admin")));

  static TestSite site;
  static AdminCalls admin;
  static String entitlementId;
  static Map<String, String> tokens;
  /** API tokens of the bootstrap admin, by scope. */
  static Map<String, String> apiTokens;

  @BeforeAll
  static void prepare(TestSite started) {
    site = started;
    admin = new AdminCalls(site.client(), site.adminToken());
    admin.create("pools", new JsonObject().put("name", "authz-pool").put("maxSessionsPerHost", 1));
    admin.create("resources", new JsonObject().put("name", "authz-res").put("pool", "authz-pool").put("kind", "app")
        .put("port", 1));
    admin.create("groups", new JsonObject().put("name", "authz-group"));
    for (String role : new String[] {"user", "session-admin"}) {
      admin.create("users", new JsonObject().put("username", "authz-" + role).put("password", PASSWORD)
          .put("roles", new JsonArray().add(role)));
    }
    entitlementId = admin.create("entitlements", new JsonObject().put("resource", "authz-res").put("user",
        "authz-user")).getString("id");
    tokens = Map.of("user", site.client().login("authz-user", PASSWORD),
        "session-admin", site.client().login("authz-session-admin", PASSWORD));
    apiTokens = Map.of("read-only", apiToken("read-only"), "session-admin", apiToken("session-admin"),
        "admin", apiToken("admin"));
  }

  private static String apiToken(String scope) {
    return admin.create("api-tokens", new JsonObject().put("name", "authz-" + scope).put("scope", scope))
        .getString("token");
  }

  /** Routes the help desk (session-admin role) may use: sessions and their own API tokens. */
  static Stream<Arguments> sessionRoutes() {
    return protectedRoutes().filter(args -> helpDesk((String) args.get()[1]));
  }

  /** Every protected route except the help desk's. */
  static Stream<Arguments> adminOnlyRoutes() {
    return protectedRoutes().filter(args -> !helpDesk((String) args.get()[1]));
  }

  private static boolean helpDesk(String path) {
    return path.startsWith(AdminApi.MOUNT + "/sessions") || tokenRoute(path);
  }

  private static boolean tokenRoute(String path) {
    return path.startsWith(AdminApi.MOUNT + "/api-tokens");
  }

  /** Every protected route that changes something (not GET), but those of API tokens. */
  static Stream<Arguments> writeRoutes() {
    return protectedRoutes().filter(args -> !args.get()[0].equals("GET") && !tokenRoute((String) args.get()[1]));
  }

  /** Every protected route that reads, but those of API tokens. */
  static Stream<Arguments> readRoutes() {
    return protectedRoutes().filter(args -> args.get()[0].equals("GET") && !tokenRoute((String) args.get()[1]));
  }

  /** The routes of API tokens. */
  static Stream<Arguments> tokenRoutes() {
    return protectedRoutes().filter(args -> tokenRoute((String) args.get()[1]));
  }

  /** Every protected route, as (method, path, body). */
  static Stream<Arguments> protectedRoutes() {
    return site.node().adminApi().routes(site.node().vertx()).stream()
        .filter(route -> !route.equals("GET /openapi.json"))
        .map(route -> {
          String method = route.substring(0, route.indexOf(' '));
          String template = route.substring(route.indexOf(' ') + 1);
          String collection = template.split("/")[1];
          String path = template.replace("{idOrName}", "authz-" + collection.replaceAll("s$", ""))
              .replace("{id}", entitlementId);
          boolean hasBody = method.equals("POST") || method.equals("PUT");
          return arguments(method, AdminApi.MOUNT + path,
              hasBody ? BODIES.getOrDefault(collection, new JsonObject()).encode() : null);
        });
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("protectedRoutes")
  void anonymousCallersMustSignIn(String method, String path, String body) {
    // GIVEN no credentials WHEN the route is called THEN it is a 401 problem
    Response response = site.client().send(method, path, null, body, body == null ? null : "application/json");
    assertProblem(response, 401);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("protectedRoutes")
  void usersAreForbidden(String method, String path, String body) {
    // GIVEN a signed-in account with the user role WHEN the route is called THEN it is a 403 problem
    assertForbidden("user", method, path, body);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("adminOnlyRoutes")
  void sessionAdminsAreForbidden(String method, String path, String body) {
    // GIVEN a signed-in help-desk account WHEN the route is called THEN it is a 403 problem
    assertForbidden("session-admin", method, path, body);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("sessionRoutes")
  void sessionAdminsMayUseTheSessionRoutes(String method, String path, String body) {
    // GIVEN a signed-in help-desk account WHEN a session route is called THEN it passes authorization
    Response response = site.client().send(method, path, tokens.get("session-admin"), body,
        body == null ? null : "application/json");
    assertThat(response.status()).as(response.body()).isNotIn(401, 403);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("writeRoutes")
  void aReadOnlyTokenCannotWrite(String method, String path, String body) {
    // GIVEN a read-only API token of an admin WHEN a route that changes something is called THEN it is a 403
    Response response = site.client().send(method, path, apiTokens.get("read-only"), body,
        body == null ? null : "application/json");
    assertThat(assertProblem(response, 403)).contains("read-only");
    assertUnchanged();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("readRoutes")
  void aReadOnlyTokenReadsWhatItsOwnerMay(String method, String path, String body) {
    // GIVEN a read-only API token of an admin WHEN a route that reads is called THEN it passes authorization
    Response response = site.client().send(method, path, apiTokens.get("read-only"), null, null);
    assertThat(response.status()).as(response.body()).isNotIn(401, 403);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("adminOnlyRoutes")
  void aSessionAdminTokenReachesOnlySessions(String method, String path, String body) {
    // GIVEN a session-admin API token of an admin WHEN any other route is called THEN it is a 403
    Response response = site.client().send(method, path, apiTokens.get("session-admin"), body,
        body == null ? null : "application/json");
    assertProblem(response, 403);
    assertUnchanged();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("tokenRoutes")
  void noTokenManagesTokens(String method, String path, String body) {
    // GIVEN an admin API token WHEN a route of API tokens is called THEN it is a 403: a person must sign in
    Response response = site.client().send(method, path, apiTokens.get("admin"), body,
        body == null ? null : "application/json");
    assertThat(assertProblem(response, 403)).contains("sign in as a person");
    assertThat(adminsApiTokens()).isEqualTo(3);
  }

  private static void assertForbidden(String role, String method, String path, String body) {
    Response response = site.client().send(method, path, tokens.get(role), body,
        body == null ? null : "application/json");
    assertThat(assertProblem(response, 403)).contains("admin");
    assertUnchanged();
  }

  private static void assertUnchanged() {
    assertThat(admin.list("pools")).hasSize(1);
    assertThat(admin.list("enroll-tokens")).isEmpty();
    assertThat(adminsApiTokens()).isEqualTo(3);
  }

  /** The bootstrap admin's API tokens (the help desk may make its own meanwhile). */
  private static long adminsApiTokens() {
    return admin.list("api-tokens").stream().map(JsonObject.class::cast)
        .filter(t -> t.getString("owner").equals("admin")).count();
  }
}
