package dev.outpost.http;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;
import java.util.Locale;

/**
 * Checks a WebSocket upgrade request before any endpoint accepts it: Vert.x answers a malformed one (no
 * {@code Connection: Upgrade}, another protocol version than 13, no key) with a bare status or plain text, and
 * some of those only as an unexpected failure. Here each is a problem with the reason.
 */
public final class WebSocketUpgradeGuard implements Handler<RoutingContext> {

  /** The one WebSocket version Outpost speaks (RFC 6455), as sent in {@code Sec-WebSocket-Version}. */
  static final String VERSION = "13";

  @Override
  public void handle(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String upgrade = request.getHeader("Upgrade");
    if (upgrade == null || !upgrade.toLowerCase(Locale.ROOT).contains("websocket")) {
      ctx.next();
      return;
    }
    String connection = request.getHeader("Connection");
    if (connection == null || !connection.toLowerCase(Locale.ROOT).contains("upgrade")) {
      ctx.fail(ClientErrorException.badRequest("a WebSocket upgrade needs the header 'Connection: Upgrade'"));
    } else if (!VERSION.equals(trimmed(request.getHeader("Sec-WebSocket-Version")))) {
      ctx.response().putHeader("Sec-WebSocket-Version", VERSION);
      ctx.fail(new ClientErrorException(426, "upgrade-required", "this server speaks WebSocket version " + VERSION
          + " (RFC 6455) only"));
    } else if (!isKey(request.getHeader("Sec-WebSocket-Key"))) {
      ctx.fail(ClientErrorException.badRequest("a WebSocket upgrade needs a Sec-WebSocket-Key of 16 bytes in "
          + "base64"));
    } else {
      ctx.next();
    }
  }

  private static String trimmed(String value) {
    return value == null ? null : value.trim();
  }

  private static boolean isKey(String key) {
    try {
      return key != null && Base64.getDecoder().decode(key.trim()).length == 16;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
