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
 * are covered without editing this test) answers 401 to anonymous callers and 403 to other roles.
 */
@ExtendWith(SiteExtension.class)
class AdminAuthzTest {

  private static final String PASSWORD = "authz-test-password-7";
  /** A valid body per collection, so that a hole in the checks would show as a successful change. */
  private static final Map<String, JsonObject> BODIES = Map.of(
      "users", new JsonObject().put("username", "authz-new").put("roles", new JsonArray().add("admin")),
      "groups", new JsonObject().put("name", "authz-new"),
      "pools", new JsonObject().put("name", "authz-new").put("maxSessionsPerHost", 1),
      "resources", new JsonObject().put("name", "authz-new").put("pool", "authz-pool").put("kind", "app")
          .put("port", 1),
      "entitlements", new JsonObject().put("resource", "authz-res").put("group", "authz-group"),
      "hosts", new JsonObject().put("draining", true),
      "sessions", new JsonObject(),
      "enroll-tokens", new JsonObject().put("pool", "authz-pool"),
      "directories", new JsonObject().put("name", "authz-new").put("urls", new JsonArray().add("ldap://127.0.0.1:1"))
          .put("tls", "none").put("bindDn", "cn=x").put("bindSecret", "x").put("userBase", "dc=x"),
      "leases", new JsonObject().put("user", "authz-user"));

  static TestSite site;
  static AdminCalls admin;
  static String entitlementId;
  static Map<String, String> tokens;

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
  }

  /** Routes the help desk (session-admin role) may use: sessions only. */
  static Stream<Arguments> sessionRoutes() {
    return protectedRoutes().filter(args -> ((String) args.get()[1]).startsWith(AdminApi.MOUNT + "/sessions"));
  }

  /** Every protected route except the help desk's. */
  static Stream<Arguments> adminOnlyRoutes() {
    return protectedRoutes().filter(args -> !((String) args.get()[1]).startsWith(AdminApi.MOUNT + "/sessions"));
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

  private static void assertForbidden(String role, String method, String path, String body) {
    Response response = site.client().send(method, path, tokens.get(role), body,
        body == null ? null : "application/json");
    assertThat(assertProblem(response, 403)).contains("admin");
    assertThat(admin.list("pools")).hasSize(1);
    assertThat(admin.list("enroll-tokens")).isEmpty();
  }
}
