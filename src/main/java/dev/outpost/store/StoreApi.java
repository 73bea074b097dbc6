package dev.outpost.store;

import dev.outpost.identity.IdentityRoutes;
import dev.outpost.identity.LoginService;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.function.Supplier;

/** The user-facing API under {@code /api/v1/}: sign-in, the site's status, resources, launches and sessions. */
public final class StoreApi {

  public static final String MOUNT = "/api/v1";

  private final LoginService logins;
  private final Supplier<JsonObject> status;
  private final ResourceRoutes resources;

  /**
   * @param status the site's current status ({@code mode}, {@code hub}), shown to anyone
   */
  public StoreApi(LoginService logins, Supplier<JsonObject> status, ResourceRoutes resources) {
    this.logins = Objects.requireNonNull(logins);
    this.status = Objects.requireNonNull(status);
    this.resources = Objects.requireNonNull(resources);
  }

  public void mount(Router api) {
    new IdentityRoutes(logins).mount(api);
    api.get("/status").handler(this::status);
    resources.mount(api);
  }

  private void status(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
        .end(status.get().encode());
  }
}
