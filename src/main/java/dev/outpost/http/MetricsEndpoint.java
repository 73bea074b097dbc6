package dev.outpost.http;

import dev.outpost.crypto.Fingerprints;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Objects;

/**
 * {@code GET /metrics}: the node's metrics in the Prometheus text format. Open when no token is configured (the
 * network decides who reaches it); with {@code metrics.token} set, only requests that send
 * {@code Authorization: Bearer <token>} get them, others a 401 problem. The token is compared in constant time.
 */
public final class MetricsEndpoint {

  public static final String PATH = "/metrics";
  private static final String BEARER = "bearer ";

  private MetricsEndpoint() {
  }

  /**
   * Mounts the endpoint on a root router.
   *
   * @param token the bearer token scrapers must send; empty: none
   */
  public static void mount(Router router, PrometheusMeterRegistry registry, String token) {
    Objects.requireNonNull(token);
    Handler<RoutingContext> scrape = PrometheusScrapingHandler.create(registry);
    if (token.isEmpty()) {
      router.get(PATH).handler(scrape);
      return;
    }
    byte[] expected = Fingerprints.sha256(token.getBytes(StandardCharsets.UTF_8));
    router.get(PATH).handler(ctx -> {
      if (presents(ctx, expected)) {
        ctx.next();
      } else {
        ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"outpost-metrics\"");
        Problems.send(ctx.response(), 401, "unauthorized", "this node's metrics need Authorization: Bearer "
            + "<metrics.token>; set the same token in the scraper's configuration", PATH);
      }
    }).handler(scrape);
  }

  /** Whether the request carries the token; compares digests, so neither length nor content leaks by timing. */
  private static boolean presents(RoutingContext ctx, byte[] expected) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || header.length() <= BEARER.length()
        || !header.substring(0, BEARER.length()).toLowerCase(Locale.ROOT).equals(BEARER)) {
      return false;
    }
    byte[] presented = Fingerprints.sha256(header.substring(BEARER.length()).trim()
        .getBytes(StandardCharsets.UTF_8));
    return MessageDigest.isEqual(expected, presented);
  }
}
