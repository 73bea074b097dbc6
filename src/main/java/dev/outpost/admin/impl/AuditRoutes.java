package dev.outpost.admin.impl;

import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The audit log, read-only by design: {@code GET /audit} newest first, paged with {@code before};
 * {@code GET /audit/verify} checks it against its hash chain and signed checkpoints; {@code GET /audit/export}
 * gives it oldest first as JSON lines for a SIEM, paged with {@code after}; {@code GET /audit/checkpoints} lists the
 * signed checkpoints and the keys that sign them.
 */
public final class AuditRoutes {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 500;
  public static final int DEFAULT_EXPORT_LIMIT = 1000;
  /** The media type of JSON lines. */
  public static final String NDJSON = "application/x-ndjson";

  private final Database db;
  private final AuditLog audit;
  private final AuditVerifier verifier;
  private final Optional<AuditCheckpoints> checkpoints;
  /** The verification under way, which further requests share rather than each reading the whole log. */
  private volatile Future<JsonObject> verifying;

  public AuditRoutes(Database db, AuditLog audit, AuditVerifier verifier, Optional<AuditCheckpoints> checkpoints) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.verifier = Objects.requireNonNull(verifier);
    this.checkpoints = Objects.requireNonNull(checkpoints);
  }

  public void mount(Router router) {
    router.get("/audit").handler(this::list);
    router.get("/audit/verify").handler(this::verify);
    router.get("/audit/export").handler(this::export);
    router.get("/audit/checkpoints").handler(this::checkpoints);
  }

  private void verify(RoutingContext ctx) {
    Future<JsonObject> current = verifying;
    if (current == null || current.isComplete()) {
      current = verifier.verify();
      verifying = current;
    }
    current.onSuccess(report -> Responses.json(ctx, 200, report)).onFailure(ctx::fail);
  }

  /** Oldest first after position {@code after}; a full page links to the next one. */
  private void export(RoutingContext ctx) {
    long after = number(ctx.queryParams(), "after", 0);
    long limit = number(ctx.queryParams(), "limit", DEFAULT_EXPORT_LIMIT);
    if (after < 0) {
      throw ClientErrorException.validation("query parameter 'after' must be 0 or a position");
    }
    if (limit < 1 || limit > AuditExport.MAX_PAGE) {
      throw ClientErrorException.validation("query parameter 'limit' must be between 1 and " + AuditExport.MAX_PAGE);
    }
    AuditExport.page(db.pool(), after, (int) limit)
        .onSuccess(lines -> {
          if (lines.size() == limit) {
            ctx.response().putHeader("Link", "<" + ctx.request().path() + "?after="
                + lines.get(lines.size() - 1).getLong("position") + "&limit=" + limit + ">; rel=\"next\"");
          }
          ctx.response().putHeader("Content-Type", NDJSON).end(ndjson(lines));
        })
        .onFailure(ctx::fail);
  }

  private static String ndjson(List<JsonObject> lines) {
    StringBuilder text = new StringBuilder();
    lines.forEach(line -> text.append(line.encode()).append('\n'));
    return text.toString();
  }

  private void checkpoints(RoutingContext ctx) {
    if (checkpoints.isEmpty()) {
      Responses.json(ctx, 200, new JsonObject().put("items", new JsonArray()).put("keys", new JsonArray()));
      return;
    }
    AuditCheckpoints signed = checkpoints.get();
    signed.list().compose(list -> signed.keys().map(keys -> new JsonObject()
            .put("items", new JsonArray(list.stream().map(AuditCheckpoints.Checkpoint::toJson).toList()))
            .put("keys", new JsonArray(keys.stream().map(AuditCheckpoints.KeyView::toJson).toList()))))
        .onSuccess(page -> Responses.json(ctx, 200, page))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    AuditLog.Query query = query(ctx.queryParams());
    audit.list(db.pool(), query)
        .onSuccess(items -> Responses.json(ctx, 200, page(items, query)))
        .onFailure(ctx::fail);
  }

  /** The page, with {@code nextBefore} to fetch the following one when this one is full. */
  private static JsonObject page(JsonArray items, AuditLog.Query query) {
    JsonObject page = new JsonObject().put("items", items);
    if (items.size() == query.limit()) {
      page.put("nextBefore", items.getJsonObject(items.size() - 1).getLong("id"));
    }
    return page;
  }

  static AuditLog.Query query(MultiMap params) {
    long limit = number(params, "limit", DEFAULT_LIMIT);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw ClientErrorException.validation("query parameter 'limit' must be between 1 and " + MAX_LIMIT);
    }
    Long before = params.contains("before") ? number(params, "before", 0) : null;
    return new AuditLog.Query((int) limit, before, blankToNull(params.get("actor")),
        blankToNull(params.get("targetType")));
  }

  private static long number(MultiMap params, String name, long fallback) {
    String value = params.get(name);
    if (value == null) {
      return fallback;
    }
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw ClientErrorException.validation("query parameter '" + name + "' must be an integer");
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
