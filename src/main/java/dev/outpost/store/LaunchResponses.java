package dev.outpost.store;

import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.LaunchService;
import dev.outpost.broker.LaunchService.Launch;
import dev.outpost.error.UserRefusal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;

/**
 * A launch as the store answers it, whether the user signed in or came with a lease: the launch service places the
 * session and issues its ticket, and the answer carries the ticket, gateways, session, launch file and (for SSH
 * resources) a ready-to-use {@code ssh} command.
 */
final class LaunchResponses {

  private final LaunchService launches;
  private final GatewayAddresses gateways;
  private final LaunchMetrics metrics;

  LaunchResponses(LaunchService launches, GatewayAddresses gateways, LaunchMetrics metrics) {
    this.launches = Objects.requireNonNull(launches);
    this.gateways = Objects.requireNonNull(gateways);
    this.metrics = Objects.requireNonNull(metrics);
  }

  /** Where launches are counted; lease launches count their verdicts there too. */
  LaunchMetrics metrics() {
    return metrics;
  }

  /** Fails with the user-level refusal when the site cannot place the session; its log line keeps why. */
  Future<JsonObject> launch(RoutingContext ctx, UserRef user, String resource) {
    return launches.launch(user, resource)
        .recover(e -> Future.failedFuture(UserRefusal.of(e)))
        .onSuccess(launch -> metrics.launched(launch.reconnected()))
        .onFailure(metrics::failed)
        .map(launch -> describe(ctx, user, launch));
  }

  private JsonObject describe(RoutingContext ctx, UserRef user, Launch launch) {
    JsonArray addresses = gateways.forRequest(ctx);
    String name = launch.session().resourceName();
    JsonObject body = new JsonObject()
        .put("ticket", launch.ticket())
        .put("expiresAt", launch.expiresAt().toString())
        .put("reconnected", launch.reconnected())
        .put("gateways", addresses)
        .put("session", ResourceRoutes.publicView(launch.session()))
        .put("launchFile", LaunchDescriptor.launchFile(gateways.applianceUrl(ctx), launch, addresses));
    if (LaunchDescriptor.SSH_HINT.equalsIgnoreCase(launch.launchHint())) {
      // the host account: the resource's host login when it has one, else (a guess) the store user name
      String login = launch.hostLogin().isEmpty() ? user.username() : launch.hostLogin();
      body.put("sshCommand", LaunchDescriptor.sshCommand(name, login));
    }
    return body;
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(body.encode());
  }
}
