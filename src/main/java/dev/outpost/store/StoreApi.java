package dev.outpost.store;

import dev.outpost.identity.IdentityRoutes;
import dev.outpost.identity.LoginService;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The user-facing API under {@code /api/v1/}: sign-in, the site's status, resources, launches, sessions, favourites
 * and connection leases.
 */
public final class StoreApi {

  public static final String MOUNT = "/api/v1";

  private final LoginService logins;
  private final Supplier<JsonObject> status;
  private final ResourceRoutes resources;
  private final LeaseRoutes leases;
  private final SshCertificateRoutes sshCertificates;
  private final FavouriteRoutes favourites;

  /**
   * @param status the site's current status ({@code mode}, {@code hub}), shown to anyone
   * @param sshCertificates the site's SSH user CA for hosts and users
   * @param favourites the user's favourites, kept on the server
   */
  public StoreApi(LoginService logins, Supplier<JsonObject> status, ResourceRoutes resources, LeaseRoutes leases,
      SshCertificateRoutes sshCertificates, FavouriteRoutes favourites) {
    this.logins = Objects.requireNonNull(logins);
    this.status = Objects.requireNonNull(status);
    this.resources = Objects.requireNonNull(resources);
    this.leases = Objects.requireNonNull(leases);
    this.sshCertificates = Objects.requireNonNull(sshCertificates);
    this.favourites = Objects.requireNonNull(favourites);
  }

  public void mount(Router api) {
    new IdentityRoutes(logins, leases).mount(api);
    api.get("/status").handler(this::status);
    sshCertificates.mount(api);
    resources.mount(api);
    leases.mount(api, resources.launches());
    favourites.mount(api);
  }

  private void status(RoutingContext ctx) {
    ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
        .end(status.get().encode());
  }
}
