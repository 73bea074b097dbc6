package dev.outpost.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Admin API calls for tests, as one signed-in account, failing the test on an unexpected status. */
final class AdminCalls {

  static final String BASE = AdminApi.MOUNT;

  private final SiteClient client;
  private final String token;

  AdminCalls(SiteClient client, String token) {
    this.client = client;
    this.token = token;
  }

  static String path(String collection, String key) {
    return BASE + "/" + collection + "/" + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
  }

  Response get(String path) {
    return client.get(path, token);
  }

  Response post(String collection, JsonObject body) {
    return client.post(BASE + "/" + collection, token, body.encode());
  }

  Response put(String collection, String key, JsonObject body) {
    return client.put(path(collection, key), token, body.encode());
  }

  Response delete(String collection, String key) {
    return client.delete(path(collection, key), token);
  }

  Response send(String method, String path, String body, String contentType) {
    return client.send(method, path, token, body, contentType);
  }

  /** Creates an entry and returns it as the API shows it. */
  JsonObject create(String collection, JsonObject body) {
    Response created = post(collection, body);
    assertThat(created.status()).as("create %s: %s", collection, created.body()).isEqualTo(201);
    return created.json();
  }

  JsonObject read(String collection, String key) {
    Response read = client.get(path(collection, key), token);
    assertThat(read.status()).as("read %s/%s: %s", collection, key, read.body()).isEqualTo(200);
    return read.json();
  }

  JsonArray list(String pathAndQuery) {
    Response list = client.get(BASE + "/" + pathAndQuery, token);
    assertThat(list.status()).as("list %s: %s", pathAndQuery, list.body()).isEqualTo(200);
    return list.json().getJsonArray("items");
  }

  void deleteOk(String collection, String key) {
    Response deleted = delete(collection, key);
    assertThat(deleted.status()).as("delete %s/%s: %s", collection, key, deleted.body()).isEqualTo(204);
  }

  /** Asserts the response is a problem document with this status and a non-empty detail; returns the detail. */
  static String assertProblem(Response response, int status) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.contentType()).startsWith("application/problem+json");
    JsonObject problem = response.json();
    assertThat(problem.getInteger("status")).isEqualTo(status);
    assertThat(problem.getString("detail")).isNotBlank();
    assertThat(response.body()).doesNotContain("\tat ", "Exception");
    return problem.getString("detail");
  }
}
