package dev.outpost.admin;

import dev.outpost.admin.impl.Responses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlClient;

/**
 * Admin-only routes contributed by another feature (e.g. the hub's resource locations), audited alike. Its {@link
 * Auditor} records for the signed-in admin of a request; a feature that audits outside a request uses {@link
 * dev.outpost.admin.Auditor}.
 */
@FunctionalInterface
public interface AdminExtension {

  /** Appends audit rows for the signed-in admin of {@code ctx}. */
  interface Auditor {
    /** One row inside the change's transaction. */
    Future<Void> record(RoutingContext ctx, SqlClient sql, String action, String targetType, String targetId,
        String targetName, JsonObject detail);

    /**
     * One row of an action that went on without the database: written now if it answers, else spooled on disk
     * and written when it does. Never fails.
     */
    Future<Void> recordApart(RoutingContext ctx, String action, String targetType, String targetId,
        String targetName, JsonObject detail);
  }

  /** Mounts the routes; they run after the admin role check. */
  void mount(Router api, Auditor auditor);

  /** Answers a route with a JSON body, never cached (it shows live configuration), as every admin route does. */
  static void json(RoutingContext ctx, int status, JsonObject body) {
    Responses.json(ctx, status, body);
  }
}
