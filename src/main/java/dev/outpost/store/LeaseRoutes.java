package dev.outpost.store;

import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.IdentityRoutes;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.Principal;
import dev.outpost.lease.Lease;
import dev.outpost.lease.LeaseService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Connection leases in the store API: {@code GET /lease} (the signed-in user's lease on their device, or 202 while
 * it is being issued) and {@code POST /lease-launch} (a launch with a lease, a resource and a device-key proof
 * instead of a session; answered exactly like a normal launch). Also asks for a lease at every sign-in and voids
 * the device's leases at sign-out.
 */
public final class LeaseRoutes implements IdentityRoutes.SignInHooks {

  /** Seconds a client should wait before asking again for a lease that is being issued. */
  static final int RETRY_AFTER_SECONDS = 1;
  private static final int MAX_TOKEN = 48 * 1024;

  private final LoginService logins;
  private final LeaseService leases;
  private final GatewayAddresses gateways;
  private final Supplier<String> caSha256;
  private LaunchResponses launches;

  /** @param caSha256 hex SHA-256 of this appliance's site CA, named in leases next to its addresses */
  public LeaseRoutes(LoginService logins, LeaseService leases, GatewayAddresses gateways, String caSha256) {
    this(logins, leases, gateways, () -> caSha256);
    Objects.requireNonNull(caSha256);
  }

  /** @param caSha256 the site CA's hex SHA-256 now (it changes when the CA is rotated) */
  public LeaseRoutes(LoginService logins, LeaseService leases, GatewayAddresses gateways, Supplier<String> caSha256) {
    this.logins = Objects.requireNonNull(logins);
    this.leases = Objects.requireNonNull(leases);
    this.gateways = Objects.requireNonNull(gateways);
    this.caSha256 = Objects.requireNonNull(caSha256);
  }

  void mount(Router api, LaunchResponses responses) {
    this.launches = responses;
    api.get("/lease").handler(AuthHandler.signedIn(logins)).handler(this::current);
    api.post("/lease-launch").handler(this::launch);
  }

  @Override
  public void signedIn(Principal principal, RoutingContext ctx) {
    leases.signedIn(principal, gateways.leaseEntry(ctx, caSha256.get()));
  }

  @Override
  public Future<Void> signingOut(Principal principal) {
    return leases.signedOut(principal);
  }

  private void current(RoutingContext ctx) {
    leases.current(AuthHandler.principal(ctx), gateways.leaseEntry(ctx, caSha256.get()))
        .onSuccess(current -> {
          if (current == null) {
            ctx.response().putHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
            LaunchResponses.json(ctx, 202, new JsonObject().put("status", "pending")
                .put("retryAfterSeconds", RETRY_AFTER_SECONDS));
          } else {
            LaunchResponses.json(ctx, 200, describe(current));
          }
        })
        .onFailure(ctx::fail);
  }

  /**
   * What {@code GET /lease} answers: the token to keep ({@code null} for a lease of another device) and, for
   * reading, what it says.
   */
  static JsonObject describe(LeaseService.Current current) {
    Lease lease = current.lease();
    JsonObject body = new JsonObject()
        .put("lease", current.token())
        .put("thisDevice", current.token() != null)
        .put("id", lease.id())
        .put("site", lease.site())
        .put("location", lease.location())
        .put("user", new JsonObject().put("id", lease.user().id()).put("username", lease.user().name()))
        .put("device", lease.device())
        .put("issuedAt", lease.issuedAt().toString())
        .put("expiresAt", lease.expiresAt().toString())
        .put("keyId", lease.keyId())
        .put("resources", new JsonArray(lease.resources().stream().map(Lease.Resource::toJson).toList()))
        .put("appliances", new JsonArray(lease.appliances().stream().map(Lease.Appliance::toJson).toList()));
    if (lease.hub() != null) {
      body.put("hub", lease.hub().toJson());
    }
    return body;
  }

  private void launch(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    String token = text(body, "lease", MAX_TOKEN);
    String resource = text(body, "resource", 256);
    String proof = text(body, "proof", MAX_TOKEN);
    leases.admit(token, resource, proof)
        .onSuccess(admitted -> launches.metrics().leaseAccepted())
        .onFailure(launches.metrics()::leaseRefused)
        .compose(admitted -> launches.launch(ctx, new UserRef(admitted.lease().user().id(),
                admitted.lease().user().name(), admitted.lease().groups()), admitted.resource().id())
            .map(answer -> answer.put("lease", new JsonObject().put("id", admitted.lease().id())
                .put("expiresAt", admitted.lease().expiresAt().toString()))))
        .onSuccess(answer -> LaunchResponses.json(ctx, 200, answer))
        .onFailure(ctx::fail);
  }

  private static String text(JsonObject body, String field, int max) {
    if (!(body.getValue(field) instanceof String text) || text.isEmpty() || text.length() > max) {
      throw ClientErrorException.validation("field '" + field + "' is required: a string of at most " + max
          + " characters");
    }
    return text;
  }
}
