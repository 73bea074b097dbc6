package dev.outpost.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/** Security headers on every response: HSTS, no sniffing, no framing, strict CSP, no referrer. */
public final class SecurityHeaders implements Handler<RoutingContext> {

  static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; base-uri 'none'; "
      + "form-action 'self'; frame-ancestors 'none'";

  @Override
  public void handle(RoutingContext ctx) {
    ctx.response().headers()
        .set("Strict-Transport-Security", "max-age=31536000")
        .set("X-Content-Type-Options", "nosniff")
        .set("X-Frame-Options", "DENY")
        .set("Referrer-Policy", "no-referrer")
        .set("Content-Security-Policy", CSP)
        .set("Cross-Origin-Opener-Policy", "same-origin");
    ctx.next();
  }
}
