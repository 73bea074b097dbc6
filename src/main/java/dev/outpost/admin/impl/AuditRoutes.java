package dev.outpost.admin.impl;

import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/** {@code GET /audit}: the audit log, newest first, paged with {@code before}. Read-only by design. */
public final class AuditRoutes {

  public static final int DEFAULT_LIMIT = 100;
  public static final int MAX_LIMIT = 500;

  private final Database db;
  private final AuditLog audit;

  public AuditRoutes(Database db, AuditLog audit) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
  }

  public void mount(Router router) {
    router.get("/audit").handler(this::list);
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
