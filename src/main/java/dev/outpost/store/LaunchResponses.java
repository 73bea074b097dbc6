package dev.outpost.store;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.Launch;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.error.UserRefusal;
import dev.outpost.gateway.TicketStore;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * A launch as the store answers it, whether the user signed in or came with a lease: the broker places the session,
 * the ticket goes to the cluster's ticket store, and the answer carries the ticket, gateways, session, launch file
 * and (for SSH resources) a ready-to-use {@code ssh} command.
 */
final class LaunchResponses {

  private final BrokerClient broker;
  private final TicketStore tickets;
  private final GatewayAddresses gateways;
  private final LaunchMetrics metrics;

  LaunchResponses(BrokerClient broker, TicketStore tickets, GatewayAddresses gateways, LaunchMetrics metrics) {
    this.broker = Objects.requireNonNull(broker);
    this.tickets = Objects.requireNonNull(tickets);
    this.gateways = Objects.requireNonNull(gateways);
    this.metrics = Objects.requireNonNull(metrics);
  }

  /** Where launches are counted; lease launches count their verdicts there too. */
  LaunchMetrics metrics() {
    return metrics;
  }

  /** Fails with the user-level refusal when the site cannot place the session; its log line keeps why. */
  Future<JsonObject> launch(RoutingContext ctx, UserRef user, String resource) {
    return broker.launch(user, resource)
        .recover(e -> Future.failedFuture(UserRefusal.of(e)))
        .compose(launch -> tickets.put(launch).map(launch))
        .onSuccess(launch -> metrics.launched(launch.reconnected()))
        .onFailure(metrics::failed)
        .compose(launch -> launchHint(user, launch).map(hint -> describe(ctx, user, launch, hint)));
  }

  /**
   * The launched resource's hint (e.g. "ssh"), as the launch answer carries it; only from a broker of an older
   * version, which did not send it, from the user's resource list (empty when that cannot be read).
   */
  private Future<String> launchHint(UserRef user, Launch launch) {
    if (launch.launchHint() != null) {
      return Future.succeededFuture(launch.launchHint());
    }
    return broker.resources(user)
        .map(list -> list.stream().filter(r -> r.resource().id().equals(launch.session().resourceId()))
            .map(r -> r.resource().launchHint()).findFirst().orElse(""))
        .otherwise("");
  }

  private JsonObject describe(RoutingContext ctx, UserRef user, Launch launch, String launchHint) {
    JsonArray addresses = gateways.forRequest(ctx);
    String name = launch.session().resourceName();
    JsonObject body = new JsonObject()
        .put("ticket", launch.ticket())
        .put("expiresAt", launch.expiresAt().toString())
        .put("reconnected", launch.reconnected())
        .put("gateways", addresses)
        .put("session", ResourceRoutes.publicView(launch.session()))
        .put("launchFile", LaunchDescriptor.launchFile(gateways.applianceUrl(ctx), launch, addresses));
    if (LaunchDescriptor.SSH_HINT.equalsIgnoreCase(launchHint)) {
      // the host account: the resource's host login when it has one, else (a guess) the store user name
      String login = launch.hostLogin() == null || launch.hostLogin().isEmpty() ? user.username()
          : launch.hostLogin();
      body.put("sshCommand", LaunchDescriptor.sshCommand(name, login));
    }
    return body;
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(body.encode());
  }
}
