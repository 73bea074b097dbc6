package dev.outpost.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code GET /health/live} (the process answers) and {@code GET /health/ready} (every check passes), as JSON
 * with one entry per check: {@code {"status":"UP","checks":{"db":{"status":"UP"},...}}}. Ready answers 503
 * while any check is down.
 */
public final class HealthRoutes {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HealthRoutes.class);

  /**
   * The outcome of one check; {@code detail} is shown to anyone, so it must hold no secret and no address, port or
   * cluster name (those belong in {@code /admin/api/v1/nodes}).
   */
  public record Check(boolean up, String detail) {
    public static Check up(String detail) {
      return new Check(true, detail);
    }

    public static Check down(String detail) {
      return new Check(false, detail);
    }
  }

  private final Map<String, Supplier<Future<Check>>> checks = new LinkedHashMap<>();

  public HealthRoutes check(String name, Supplier<Future<Check>> check) {
    checks.put(name, check);
    return this;
  }

  public void mount(Router router) {
    router.get("/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(this::ready);
  }

  private void ready(RoutingContext ctx) {
    List<String> names = new ArrayList<>(checks.keySet());
    List<Future<Check>> results = new ArrayList<>();
    for (String name : names) {
      results.add(run(name, checks.get(name)));
    }
    Future.join(results).onComplete(ignored -> {
      JsonObject detail = new JsonObject();
      boolean allUp = true;
      for (int i = 0; i < names.size(); i++) {
        Check check = results.get(i).result();
        allUp &= check.up();
        detail.put(names.get(i),
            new JsonObject().put("status", check.up() ? "UP" : "DOWN").put("detail", check.detail()));
      }
      json(ctx, allUp ? 200 : 503, new JsonObject().put("status", allUp ? "UP" : "DOWN").put("checks", detail));
    });
  }

  /**
   * Runs a check; a failure shows as "failed" and a check that takes over 3 s as "no answer", never with the
   * exception's message: readiness is public, and messages name addresses and ports (logged at debug instead).
   */
  private static Future<Check> run(String name, Supplier<Future<Check>> check) {
    try {
      return check.get().recover(e -> failed(name, e))
          .timeout(3, java.util.concurrent.TimeUnit.SECONDS)
          .recover(e -> {
            LOG.debug("Readiness check {} did not answer: {}", name, e.getMessage());
            return Future.succeededFuture(Check.down("no answer"));
          });
    } catch (RuntimeException e) {
      return failed(name, e);
    }
  }

  private static Future<Check> failed(String name, Throwable e) {
    LOG.debug("Readiness check {} failed: {}", name, e.getMessage());
    return Future.succeededFuture(Check.down("failed"));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(body.encode());
  }
}
