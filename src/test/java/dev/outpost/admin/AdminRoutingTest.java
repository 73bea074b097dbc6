package dev.outpost.admin;

import static dev.outpost.admin.AdminCalls.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.SharedSite;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The OpenAPI document matches the routes, and paths or methods outside them are clear problems. */
@SharedSite
class AdminRoutingTest {

  private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options",
      "trace");

  static TestSite site;
  static AdminCalls admin;

  @BeforeAll
  static void signIn(TestSite shared) {
    site = shared;
    admin = new AdminCalls(site.client(), site.adminToken());
  }

  @Test
  void openApiDocumentIsPublicAndDocumentsExactlyTheRegisteredRoutes() {
    // GIVEN the routes the admin API registers
    SortedSet<String> registered = site.node().adminApi().routes(site.node().vertx());

    // WHEN the OpenAPI document is fetched without signing in
    Response response = site.client().get(AdminApi.MOUNT + "/openapi.json", null);

    // THEN it is an OpenAPI 3.1 document whose (method, path) pairs are exactly those routes
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    assertThat(response.contentType()).startsWith("application/json");
    JsonObject document = response.json();
    assertThat(document.getString("openapi")).startsWith("3.1");
    SortedSet<String> documented = new TreeSet<>();
    // Routes marked x-outpost-hub-only are served by a separate hub's admin API, not by an appliance's.
    document.getJsonObject("paths").forEach(path -> ((JsonObject) path.getValue()).fieldNames().stream()
        .filter(HTTP_METHODS::contains)
        .filter(method -> !((JsonObject) path.getValue()).getJsonObject(method)
            .getBoolean("x-outpost-hub-only", false))
        .forEach(method -> documented.add(method.toUpperCase() + " " + path.getKey())));
    assertThat(registered).contains("GET /pools", "PUT /pools/{idOrName}", "DELETE /entitlements/{id}",
        "GET /audit", "GET /nodes");
    assertThat(documented).isEqualTo(registered);
    assertThat(document.getJsonObject("components").getJsonObject("securitySchemes").getJsonObject("bearer")
        .getString("scheme")).isEqualTo("bearer");
  }

  @Test
  void everyOperationHasASummaryAndTheCollectionsReadAsEnglish() {
    // GIVEN the OpenAPI document as the admin API serves it
    JsonObject paths = site.client().get(AdminApi.MOUNT + "/openapi.json", null).json().getJsonObject("paths");

    // THEN every operation has a summary, and those made from the collections' names have the right article
    // and plural
    paths.forEach(path -> ((JsonObject) path.getValue()).fieldNames().stream().filter(HTTP_METHODS::contains)
        .forEach(method -> assertThat(((JsonObject) path.getValue()).getJsonObject(method).getString("summary"))
            .as(method + " " + path.getKey()).isNotBlank()));
    assertThat(summary(paths, "/entitlements", "post")).isEqualTo("Create an entitlement");
    assertThat(summary(paths, "/entitlements/{id}", "delete")).isEqualTo("Delete an entitlement");
    assertThat(summary(paths, "/entitlements", "get")).isEqualTo("List entitlements");
    assertThat(summary(paths, "/directories", "get")).isEqualTo("List directories ordered by name");
    assertThat(summary(paths, "/users", "post")).isEqualTo("Create a user");
    assertThat(summary(paths, "/pools/{idOrName}", "put"))
        .isEqualTo("Change some fields of a pool (only the fields sent change)");
    assertThat(paths.encode()).doesNotContain(" a entitlement", "directorys");
  }

  private static String summary(JsonObject paths, String path, String method) {
    return paths.getJsonObject(path).getJsonObject(method).getString("summary");
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
      "PATCH, /pools, 'GET, POST'",
      "DELETE, /users, 'GET, POST'",
      "POST, /pools/some-pool, 'DELETE, GET, PUT'",
      "PUT, /entitlements/3f1c0e42-1111-4a4a-9b9b-123456789abc, 'DELETE, GET'",
      "POST, /audit, GET",
      "DELETE, /nodes, GET"})
  void wrongMethodOnAnExistingPathIs405(String method, String path, String allowed) {
    // GIVEN an admin WHEN a path is called with a method it does not serve
    Response response = admin.send(method, AdminApi.MOUNT + path, null, null);

    // THEN it is a 405 problem that lists the methods it does serve
    assertThat(assertProblem(response, 405)).contains(method);
    assertThat(response.headers().firstValue("Allow")).hasValue(allowed);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"GET, /nope", "GET, /pools/a/b", "POST, /hostz", "DELETE, /", "GET, ''"})
  void unknownAdminPathIs404(String method, String path) {
    // GIVEN an admin WHEN a path outside the admin API is called THEN it is a 404 problem
    assertProblem(admin.send(method, AdminApi.MOUNT + path, null, null), 404);
  }
}
