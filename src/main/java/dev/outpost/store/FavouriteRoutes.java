package dev.outpost.store;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.Principal;
import dev.outpost.relay.Requests;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The signed-in user's favourites in the store, kept by the hub role ({@link StoredFavourites}) so that they follow
 * the user across devices: {@code GET /favourites}, {@code PUT} and {@code DELETE /favourites/{resource}} (by id or
 * name). Each answers the user's favourites afterwards, {@code {items: [resourceId]}}. Only a resource published to
 * the user can become a favourite; one that no longer is can still be removed by its id.
 */
public final class FavouriteRoutes {

  private final LoginService logins;
  private final BrokerClient broker;
  private final Requests hub;

  /** @param hub where the hub role's operations go (in process all-in-one, the tunnel with a separate hub) */
  public FavouriteRoutes(LoginService logins, BrokerClient broker, Requests hub) {
    this.logins = Objects.requireNonNull(logins);
    this.broker = Objects.requireNonNull(broker);
    this.hub = Objects.requireNonNull(hub);
  }

  public void mount(Router api) {
    AuthHandler signedIn = AuthHandler.signedIn(logins);
    api.get("/favourites").handler(signedIn).handler(this::list);
    api.put("/favourites/:resource").handler(signedIn).handler(ctx -> change(ctx, StoredFavourites.ADD));
    api.delete("/favourites/:resource").handler(signedIn).handler(ctx -> change(ctx, StoredFavourites.REMOVE));
  }

  private void list(RoutingContext ctx) {
    hub.request(StoredFavourites.LIST, new JsonObject().put("userId", AuthHandler.principal(ctx).userId()))
        .onSuccess(answer -> LaunchResponses.json(ctx, 200, answer))
        .onFailure(ctx::fail);
  }

  private void change(RoutingContext ctx, String op) {
    Principal p = AuthHandler.principal(ctx);
    String key = ctx.pathParam("resource");
    broker.resources(new UserRef(p.userId(), p.username(), p.directoryGroups()))
        .compose(published -> resourceId(published, key, StoredFavourites.REMOVE.equals(op)))
        .compose(id -> hub.request(op, new JsonObject().put("userId", p.userId()).put("resourceId", id)))
        .onSuccess(answer -> LaunchResponses.json(ctx, 200, answer))
        .onFailure(ctx::fail);
  }

  /** The id of a resource published to the user; for a removal, also the id of one no longer published. */
  private static Future<String> resourceId(List<ResourceView> published, String key, boolean removal) {
    Optional<String> id = published.stream().map(ResourceView::resource)
        .filter(r -> r.id().equals(key) || r.name().equalsIgnoreCase(key)).map(r -> r.id()).findFirst();
    if (id.isEmpty() && removal && isUuid(key)) {
      id = Optional.of(key);
    }
    return id.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(
        ClientErrorException.notFound("no resource '" + key + "' is published to you")));
  }

  private static boolean isUuid(String text) {
    try {
      java.util.UUID.fromString(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
