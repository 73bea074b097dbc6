package dev.outpost.admin;

import static dev.outpost.admin.AdminCalls.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.outpost.testing.SharedSite;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad request is a 4xx problem that changes nothing: no entry, no audit row. */
@SharedSite
class AdminValidationTest {

  private static final String JSON = "application/json";
  private static final List<String> COLLECTIONS = List.of("users", "groups", "pools", "resources", "entitlements");

  static TestSite site;
  static AdminCalls admin;

  @BeforeAll
  static void prepare(TestSite shared) {
    site = shared;
    admin = new AdminCalls(site.client(), site.adminToken());
    admin.create("pools", new JsonObject().put("name", "val-pool").put("maxSessionsPerHost", 4));
    admin.create("resources", new JsonObject().put("name", "val-res").put("pool", "val-pool").put("kind", "app")
        .put("port", 443));
    admin.create("users", new JsonObject().put("username", "val-user"));
    admin.create("groups", new JsonObject().put("name", "val-group").put("members", new io.vertx.core.json.JsonArray()
        .add("val-user")));
    admin.create("entitlements", new JsonObject().put("resource", "val-res").put("user", "val-user"));
  }

  static Stream<Arguments> badRequests() {
    String bigBody = "{\"name\":\"big\",\"maxSessionsPerHost\":1,\"description\":\"" + "x".repeat(70 * 1024) + "\"}";
    return Stream.of(
        // users
        bad("user without username", "POST", "/users", "{\"password\":\"long-enough-password\"}", 400, "username"),
        bad("user with null username", "POST", "/users", "{\"username\":null}", 400, "username"),
        bad("username as a number", "POST", "/users", "{\"username\":42}", 400, "username"),
        bad("username with a space", "POST", "/users", "{\"username\":\"bad name\"}", 400, "username"),
        bad("username starting with a dot", "POST", "/users", "{\"username\":\".hidden\"}", 400, "username"),
        bad("username of 65 characters", "POST", "/users", "{\"username\":\"" + "u".repeat(65) + "\"}", 400,
            "username"),
        bad("short password", "POST", "/users", "{\"username\":\"val-new\",\"password\":\"short\"}", 400,
            "password"),
        bad("unknown role", "POST", "/users", "{\"username\":\"val-new\",\"roles\":[\"root\"]}", 400, "roles"),
        bad("roles as a string", "POST", "/users", "{\"username\":\"val-new\",\"roles\":\"admin\"}", 400, "roles"),
        bad("no roles", "POST", "/users", "{\"username\":\"val-new\",\"roles\":[]}", 400, "roles"),
        bad("disabled as a string", "POST", "/users", "{\"username\":\"val-new\",\"disabled\":\"yes\"}", 400,
            "disabled"),
        bad("display name of 129 characters", "POST", "/users",
            "{\"username\":\"val-new\",\"displayName\":\"" + "d".repeat(129) + "\"}", 400, "displayName"),
        bad("unknown user field", "POST", "/users", "{\"username\":\"val-new\",\"email\":\"a@b\"}", 400, "email"),
        bad("duplicate username", "POST", "/users", "{\"username\":\"VAL-USER\"}", 409, "VAL-USER"),
        bad("update with null password", "PUT", "/users/val-user", "{\"password\":null}", 400, "password"),
        bad("update with short password", "PUT", "/users/val-user", "{\"password\":\"12345678901\"}", 400,
            "password"),
        bad("update with null username", "PUT", "/users/val-user", "{\"username\":null}", 400, "username"),
        // groups
        bad("group without name", "POST", "/groups", "{\"description\":\"x\"}", 400, "name"),
        bad("group with unknown member", "POST", "/groups", "{\"name\":\"val-g2\",\"members\":[\"val-user\","
            + "\"ghost\"]}", 400, "ghost"),
        bad("members as an object", "POST", "/groups", "{\"name\":\"val-g2\",\"members\":{}}", 400, "members"),
        bad("member as a number", "POST", "/groups", "{\"name\":\"val-g2\",\"members\":[7]}", 400, "members"),
        bad("unknown group field", "POST", "/groups", "{\"name\":\"val-g2\",\"owner\":\"me\"}", 400, "owner"),
        bad("update with unknown member", "PUT", "/groups/val-group", "{\"members\":[\"nobody\"]}", 400, "nobody"),
        bad("duplicate group name", "POST", "/groups", "{\"name\":\"Val-Group\"}", 409, "Val-Group"),
        // pools
        bad("pool without maxSessionsPerHost", "POST", "/pools", "{\"name\":\"val-p2\"}", 400, "maxSessionsPerHost"),
        bad("maxSessionsPerHost 0", "POST", "/pools", "{\"name\":\"val-p2\",\"maxSessionsPerHost\":0}", 400,
            "maxSessionsPerHost"),
        bad("maxSessionsPerHost 10001", "POST", "/pools", "{\"name\":\"val-p2\",\"maxSessionsPerHost\":10001}", 400,
            "maxSessionsPerHost"),
        bad("maxSessionsPerHost beyond long", "POST", "/pools",
            "{\"name\":\"val-p2\",\"maxSessionsPerHost\":100000000000000000000000}", 400, "maxSessionsPerHost"),
        bad("maxSessionsPerHost with a fraction", "POST", "/pools",
            "{\"name\":\"val-p2\",\"maxSessionsPerHost\":1.5}", 400, "maxSessionsPerHost"),
        bad("maxSessionsPerHost as a string", "POST", "/pools", "{\"name\":\"val-p2\",\"maxSessionsPerHost\":\"5\"}",
            400, "maxSessionsPerHost"),
        bad("recordSessions as a string", "POST", "/pools",
            "{\"name\":\"val-p2\",\"maxSessionsPerHost\":1,\"recordSessions\":\"yes\"}", 400, "recordSessions"),
        bad("pool name with a slash", "POST", "/pools", "{\"name\":\"a/b\",\"maxSessionsPerHost\":1}", 400, "name"),
        bad("pool name as null", "POST", "/pools", "{\"name\":null,\"maxSessionsPerHost\":1}", 400, "name"),
        bad("unknown pool field", "POST", "/pools", "{\"name\":\"val-p2\",\"maxSessionsPerHost\":1,\"size\":3}", 400,
            "size"),
        bad("update with null maxSessionsPerHost", "PUT", "/pools/val-pool", "{\"maxSessionsPerHost\":null}", 400,
            "maxSessionsPerHost"),
        bad("update with a bad name", "PUT", "/pools/val-pool", "{\"name\":\"-dash\"}", 400, "name"),
        // resources
        bad("resource in an unknown pool", "POST", "/resources",
            "{\"name\":\"val-r2\",\"pool\":\"no-pool\",\"kind\":\"app\",\"port\":22}", 400, "no-pool"),
        bad("resource without pool", "POST", "/resources", "{\"name\":\"val-r2\",\"kind\":\"app\",\"port\":22}",
            400, "pool"),
        bad("unknown kind", "POST", "/resources",
            "{\"name\":\"val-r2\",\"pool\":\"val-pool\",\"kind\":\"vm\",\"port\":22}", 400, "kind"),
        bad("port 0", "POST", "/resources", "{\"name\":\"val-r2\",\"pool\":\"val-pool\",\"kind\":\"app\",\"port\":0}",
            400, "port"),
        bad("port 65536", "POST", "/resources",
            "{\"name\":\"val-r2\",\"pool\":\"val-pool\",\"kind\":\"app\",\"port\":65536}", 400, "port"),
        bad("port as a string", "POST", "/resources",
            "{\"name\":\"val-r2\",\"pool\":\"val-pool\",\"kind\":\"app\",\"port\":\"22\"}", 400, "port"),
        bad("launch hint of 257 characters", "POST", "/resources",
            "{\"name\":\"val-r2\",\"pool\":\"val-pool\",\"kind\":\"app\",\"port\":22,\"launchHint\":\""
                + "h".repeat(257) + "\"}", 400, "launchHint"),
        bad("update into an unknown pool", "PUT", "/resources/val-res", "{\"pool\":\"ghost-pool\"}", 400,
            "ghost-pool"),
        bad("duplicate resource name", "POST", "/resources",
            "{\"name\":\"VAL-RES\",\"pool\":\"val-pool\",\"kind\":\"app\",\"port\":22}", 409, "VAL-RES"),
        // entitlements
        bad("entitlement for user and group", "POST", "/entitlements",
            "{\"resource\":\"val-res\",\"user\":\"val-user\",\"group\":\"val-group\"}", 400, "exactly one"),
        bad("entitlement for nobody", "POST", "/entitlements", "{\"resource\":\"val-res\"}", 400, "exactly one"),
        bad("entitlement of an unknown resource", "POST", "/entitlements",
            "{\"resource\":\"no-res\",\"user\":\"val-user\"}", 400, "no-res"),
        bad("entitlement for an unknown user", "POST", "/entitlements",
            "{\"resource\":\"val-res\",\"user\":\"ghost-user\"}", 400, "ghost-user"),
        bad("entitlement for an unknown group", "POST", "/entitlements",
            "{\"resource\":\"val-res\",\"group\":\"ghost-group\"}", 400, "ghost-group"),
        bad("entitlement with user as a number", "POST", "/entitlements", "{\"resource\":\"val-res\",\"user\":1}",
            400, "user"),
        bad("duplicate entitlement", "POST", "/entitlements", "{\"resource\":\"val-res\",\"user\":\"VAL-USER\"}",
            409, "already entitled"),
        // bodies that are not a JSON object
        bad("JSON array instead of an object", "POST", "/pools", "[{\"name\":\"val-p2\"}]", 400, "object"),
        bad("invalid JSON", "POST", "/pools", "{\"name\":\"val-p2\",", 400, "JSON"),
        bad("empty body", "POST", "/pools", "", 400, "empty"),
        bad("empty body on update", "PUT", "/pools/val-pool", "", 400, "empty"),
        send("text/plain body", "POST", "/pools", "{\"name\":\"val-p2\",\"maxSessionsPerHost\":1}", "text/plain",
            415, "application/json"),
        send("no Content-Type", "PUT", "/users/val-user", "{\"displayName\":\"x\"}", null, 415, "application/json"),
        bad("body over 64 KiB", "POST", "/pools", bigBody, 413, ""),
        bad("update body over 64 KiB", "PUT", "/pools/val-pool", bigBody, 413, ""),
        // audit query parameters
        send("audit limit 0", "GET", "/audit?limit=0", null, null, 400, "limit"),
        send("audit limit 501", "GET", "/audit?limit=501", null, null, 400, "limit"),
        send("audit before not a number", "GET", "/audit?before=abc", null, null, 400, "before"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void badRequestIsAProblemAndChangesNothing(String name, String method, String path, String body,
      String contentType, int status, String detailHint) {
    // GIVEN the site model and audit log as they are
    String before = snapshot();

    // WHEN the bad request is sent
    String detail = assertProblem(admin.send(method, AdminApi.MOUNT + path, body, contentType), status);

    // THEN it is refused with a detail naming the problem, and nothing changed
    assertThat(detail).contains(detailHint);
    assertThat(snapshot()).isEqualTo(before);
  }

  private static Arguments bad(String name, String method, String path, String body, int status, String hint) {
    return arguments(name, method, path, body, JSON, status, hint);
  }

  private static Arguments send(String name, String method, String path, String body, String contentType,
      int status, String hint) {
    return arguments(name, method, path, body, contentType, status, hint);
  }

  /** Every collection in full (with update times) and the audit log's size. */
  private static String snapshot() {
    JsonObject all = new JsonObject();
    COLLECTIONS.forEach(collection -> all.put(collection, admin.list(collection)));
    all.put("auditRows", admin.list("audit?limit=500").size());
    return all.encodePrettily();
  }
}
