package dev.outpost.http;

import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/** Renders failures as RFC 9457 {@code application/problem+json}. */
public final class Problems {

  public static final String CONTENT_TYPE = "application/problem+json";
  public static final String TYPE_PREFIX = "urn:outpost:problem:";

  private Problems() {
  }

  public static JsonObject body(int status, String type, String detail, String instance) {
    JsonObject problem = new JsonObject()
        .put("type", TYPE_PREFIX + type)
        .put("title", HttpResponseStatus.valueOf(status).reasonPhrase())
        .put("status", status)
        .put("detail", detail);
    if (instance != null) {
      problem.put("instance", instance);
    }
    return problem;
  }

  /**
   * Writes the problem unless the response has already started, with the security headers: a request may fail
   * before the router's handlers set them (e.g. Vert.x Web refuses a request without a Host header first).
   */
  public static void send(HttpServerResponse response, int status, String type, String detail, String instance) {
    if (response.headWritten() || response.closed()) {
      return;
    }
    SecurityHeaders.apply(response.headers());
    response.setStatusCode(status).putHeader("Content-Type", CONTENT_TYPE).putHeader("Cache-Control", "no-store");
    response.end(body(status, type, detail, instance).encode());
  }

  public static void send(HttpServerResponse response, OutpostException e, String instance) {
    if (e instanceof ClientErrorException client && client.retryAfter().isPresent() && !response.headWritten()) {
      response.putHeader("Retry-After", Long.toString(Math.max(1, client.retryAfter().get().toSeconds())));
    }
    JsonObject members = e instanceof ClientErrorException client ? client.members() : null;
    if (members == null) {
      send(response, e.status(), e.type(), e.detail(), instance);
      return;
    }
    if (response.headWritten() || response.closed()) {
      return;
    }
    SecurityHeaders.apply(response.headers());
    response.setStatusCode(e.status()).putHeader("Content-Type", CONTENT_TYPE).putHeader("Cache-Control", "no-store");
    response.end(members.copy().mergeIn(body(e.status(), e.type(), e.detail(), instance)).encode());
  }
}
