package dev.outpost.admin;

import dev.outpost.cluster.ClusterView;
import dev.outpost.db.Database;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.Role;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.Objects;

/** The admin REST API under {@code /admin/api/v1/}. */
public final class AdminApi {

  public static final String MOUNT = "/admin/api/v1";

  private final Database db;
  private final LoginService logins;
  private final ClusterView cluster;

  public AdminApi(Database db, LoginService logins, ClusterView cluster) {
    this.db = Objects.requireNonNull(db);
    this.logins = Objects.requireNonNull(logins);
    this.cluster = Objects.requireNonNull(cluster);
  }

  public void mount(Router api) {
    api.route().handler(AuthHandler.requireAny(logins, Role.ADMIN));
    api.get("/nodes").handler(ctx -> ctx.response().putHeader("Content-Type", "application/json")
        .end(new JsonObject().put("cluster", cluster.clusterName()).put("items", cluster.members()).encode()));
  }

  Database db() {
    return db;
  }
}
