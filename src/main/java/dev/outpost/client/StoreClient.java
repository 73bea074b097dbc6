package dev.outpost.client;

import dev.outpost.http.Tls;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/** The store API ({@code /api/v1}) of one appliance, over TLS pinned to its site CA, as the signed-in user. */
final class StoreClient {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http;
  private final URI appliance;
  private final String token;

  StoreClient(SSLContext tls, URI appliance, String token) {
    this.http = HttpClient.newBuilder().sslContext(tls).sslParameters(Tls.jdkParameters())
        .connectTimeout(Duration.ofSeconds(10)).build();
    this.appliance = Objects.requireNonNull(appliance);
    this.token = token;
  }

  JsonObject get(String path) {
    return send("GET", path, null);
  }

  /** The status and body of a GET, for answers that are not always 200 (e.g. 202 while a lease is issued). */
  Answer getAnswer(String path) {
    HttpResponse<String> response = checked(exchange("GET", path, null));
    return new Answer(response.statusCode(), body(response));
  }

  /**
   * The status and body of a POST whose 4xx answers the caller reads itself (e.g. a sign-in that asks for a second
   * factor); 5xx still fails.
   */
  Answer postAnswer(String path, JsonObject body) {
    HttpResponse<String> response = exchange("POST", path, body);
    if (response.statusCode() >= 500) {
      throw new StoreUnavailable(appliance + " failed: " + problem(response), false, null);
    }
    return new Answer(response.statusCode(), body(response));
  }

  /** A status and its JSON body. */
  record Answer(int status, JsonObject body) {
  }

  URI appliance() {
    return appliance;
  }

  JsonObject post(String path, JsonObject body) {
    return send("POST", path, body);
  }

  /** The problem's detail and status of a 4xx answer, for a message. */
  static String problem(Answer answer) {
    return answer.body().getString("detail", "the appliance answered " + answer.status()) + " (" + answer.status()
        + ")";
  }

  static String segment(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonObject send(String method, String path, JsonObject body) {
    return body(checked(exchange(method, path, body)));
  }

  /** The response when it succeeded; 5xx means the store is unavailable, 4xx is the caller's to fix. */
  private HttpResponse<String> checked(HttpResponse<String> response) {
    if (response.statusCode() >= 500) {
      throw new StoreUnavailable(appliance + " failed: " + problem(response), false, null);
    }
    if (response.statusCode() >= 400) {
      throw new ClientFailure(problem(response));
    }
    return response;
  }

  private HttpResponse<String> exchange(String method, String path, JsonObject body) {
    HttpRequest.Builder request = HttpRequest.newBuilder(appliance.resolve(path)).timeout(TIMEOUT)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body.encode()));
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response;
    try {
      response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new StoreUnavailable("cannot reach " + appliance + ": " + SiteTrust.rootMessage(e), true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientFailure("interrupted", e);
    }
    if (response.statusCode() == 401 && token != null) {
      throw new ClientFailure("the sign-in has expired or was signed out: run 'outpost client login' again");
    }
    return response;
  }

  private JsonObject body(HttpResponse<String> response) {
    if (response.body().isEmpty()) {
      return new JsonObject();
    }
    try {
      return new JsonObject(response.body());
    } catch (DecodeException e) {
      throw new ClientFailure(appliance + " answered " + response.statusCode() + " with a body that is not JSON", e);
    }
  }

  private static String problem(HttpResponse<String> response) {
    try {
      JsonObject problem = new JsonObject(response.body());
      String detail = problem.getString("detail", problem.getString("title", ""));
      return detail + " (" + response.statusCode() + ")";
    } catch (DecodeException | ClassCastException e) {
      return "the appliance answered " + response.statusCode();
    }
  }
}
