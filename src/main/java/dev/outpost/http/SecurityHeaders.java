package dev.outpost.http;

import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Security headers on every response: HSTS, no sniffing, no framing, strict CSP, no referrer. */
public final class SecurityHeaders implements Handler<RoutingContext> {

  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
      + "form-action 'self'; frame-ancestors 'none'";

  @Override
  public void handle(RoutingContext ctx) {
    apply(ctx.response().headers());
    ctx.next();
  }

  /** The headers by name, for responses that no router handles (a request refused before routing). */
  static final Map<String, String> HEADERS = headers();

  /** Sets the headers on a response that no router handles. */
  static void apply(MultiMap headers) {
    HEADERS.forEach(headers::set);
  }

  private static Map<String, String> headers() {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Strict-Transport-Security", "max-age=31536000");
    headers.put("X-Content-Type-Options", "nosniff");
    headers.put("X-Frame-Options", "DENY");
    headers.put("Referrer-Policy", "no-referrer");
    headers.put("Content-Security-Policy", CSP);
    headers.put("Cross-Origin-Opener-Policy", "same-origin");
    return Collections.unmodifiableMap(headers);
  }
}
