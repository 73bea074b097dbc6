package dev.outpost.http;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * Reads request bodies as JSON objects, with clear 400/415 problems for anything else: the media type must be
 * {@code application/json} (parameters allowed, a charset only if UTF-8), and no string in the body, name or value,
 * may hold a NUL character, which PostgreSQL cannot store and no field of Outpost accepts.
 */
public final class JsonBodies {

  private static final String JSON = "application/json";

  private JsonBodies() {
  }

  /** The body as a JSON object; throws a client error for a missing, non-JSON or non-object body. */
  public static JsonObject object(RoutingContext ctx) {
    requireJsonMediaType(ctx.request().getHeader("Content-Type"));
    // An empty body reads as null, not as "" (its length is then -1, not 0).
    String text = ctx.body() == null ? null : ctx.body().asString();
    if (text == null || text.isBlank()) {
      throw ClientErrorException.badRequest("the request body is empty: send a JSON object");
    }
    text = text.trim();
    if (!text.startsWith("{")) {
      throw ClientErrorException.badRequest("the request body must be a JSON object ({...})");
    }
    JsonObject body;
    try {
      body = new JsonObject(text);
    } catch (DecodeException e) {
      throw ClientErrorException.badRequest("the request body is not valid JSON: " + firstLine(e.getMessage()));
    }
    refuseNul(body, "");
    return body;
  }

  /**
   * Whether {@code text} holds a control character (C0, DEL or C1, so also newlines and terminal escapes): an id,
   * a name or a single-line setting never does.
   */
  public static boolean hasControlCharacter(String text) {
    return text.chars().anyMatch(Character::isISOControl);
  }

  /** {@code value}, or a 400 naming {@code field} when it holds a control character. */
  public static String singleLine(String field, String value) {
    if (value != null && hasControlCharacter(value)) {
      throw ClientErrorException.validation("field '" + field + "' must not contain control characters (such as "
          + "line breaks, tabs or terminal escapes)");
    }
    return value;
  }

  /**
   * Refuses anything but {@code application/json}, matched exactly (case aside) and not as a prefix, so that
   * {@code application/jsonx} or {@code application/json-patch+json} are refused too.
   */
  static void requireJsonMediaType(String contentType) {
    if (contentType == null) {
      throw unsupported("missing");
    }
    String[] parts = contentType.split(";");
    if (!parts[0].trim().toLowerCase(Locale.ROOT).equals(JSON)) {
      throw unsupported(contentType);
    }
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim().toLowerCase(Locale.ROOT);
      if (parameter.startsWith("charset=")) {
        String charset = parameter.substring("charset=".length()).replace("\"", "").trim();
        if (!charset.equals("utf-8") && !charset.equals("utf8")) {
          throw new ClientErrorException(415, "unsupported-media-type",
              "JSON is read as UTF-8; send it as UTF-8 (charset was " + shown(charset) + ")");
        }
      }
    }
  }

  private static ClientErrorException unsupported(String contentType) {
    return new ClientErrorException(415, "unsupported-media-type",
        "send the body as application/json (Content-Type was " + shown(contentType) + ")");
  }

  /** A header value as a problem detail may quote it: bounded, without control characters. */
  private static String shown(String value) {
    String cut = value.length() > 100 ? value.substring(0, 100) + "..." : value;
    return cut.chars().map(c -> Character.isISOControl(c) ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
  }

  private static void refuseNul(Object value, String where) {
    if (value instanceof String text) {
      if (text.indexOf('\0') >= 0) {
        throw ClientErrorException.badRequest((where.isEmpty() ? "the body" : "field '" + where + "'")
            + " holds a NUL character (\\u0000), which no field of Outpost accepts");
      }
    } else if (value instanceof JsonObject object) {
      for (String name : object.fieldNames()) {
        refuseNul(name, where);
        refuseNul(object.getValue(name), where.isEmpty() ? shown(name) : where + "." + shown(name));
      }
    } else if (value instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        refuseNul(array.getValue(i), where + "[" + i + "]");
      }
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
