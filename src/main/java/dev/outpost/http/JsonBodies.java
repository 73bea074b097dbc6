package dev.outpost.http;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Reads request bodies as JSON objects, with clear 400/415 problems for anything else. */
public final class JsonBodies {

  private JsonBodies() {
  }

  /** The body as a JSON object; throws a client error for a missing, non-JSON or non-object body. */
  public static JsonObject object(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    if (contentType == null || !contentType.toLowerCase().startsWith("application/json")) {
      throw new ClientErrorException(415, "unsupported-media-type",
          "send the body as application/json (Content-Type was " + (contentType == null ? "missing" : contentType) + ")");
    }
    // An empty body reads as null, not as "" (its length is then -1, not 0).
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      throw ClientErrorException.badRequest("the request body is empty: send a JSON object");
    }
    text = text.trim();
    if (!text.startsWith("{")) {
      throw ClientErrorException.badRequest("the request body must be a JSON object ({...})");
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException e) {
      throw ClientErrorException.badRequest("the request body is not valid JSON: " + firstLine(e.getMessage()));
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "parse error";
    }
    // Jackson quotes the input after "at [Source"; never echo it, it may hold a password.
    String line = message.lines().findFirst().orElse("parse error");
    int source = line.indexOf(" at [Source");
    if (source >= 0) {
      line = line.substring(0, source);
    }
    int quote = line.indexOf('(');
    if (quote >= 0) {
      line = line.substring(0, quote).trim();
    }
    return line.length() > 120 ? line.substring(0, 120) : line;
  }
}
