package dev.outpost.admin;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlClient;

/** Admin-only routes contributed by another feature (e.g. the hub's resource locations), audited alike. */
@FunctionalInterface
public interface AdminExtension {

  /** Appends one audit row for the signed-in admin of {@code ctx}, inside the change's transaction. */
  interface Auditor {
    Future<Void> record(RoutingContext ctx, SqlClient sql, String action, String targetType, String targetId,
        String targetName, JsonObject detail);
  }

  /** Mounts the routes; they run after the admin role check. */
  void mount(Router api, Auditor auditor);
}
