package dev.outpost.admin;

import dev.outpost.admin.impl.Actor;
import dev.outpost.admin.impl.SpooledAudit;
import dev.outpost.admin.impl.Responses;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Sessions (admins and session admins) as the broker sees them. Every action is audited; hosts are
 * {@link HostAdminRoutes}.
 */
final class BrokerAdminRoutes {

  private static final Set<String> STATES = Set.of("launching", "connected", "disconnected", "ended");

  private final SpooledAudit audit;
  private final BrokerClient broker;
  private final Function<RoutingContext, Actor> actors;

  /**
   * @param audit where the actions are audited: they go on while the database is down, so their entries may wait
   *     on disk
   */
  BrokerAdminRoutes(SpooledAudit audit, BrokerClient broker, Function<RoutingContext, Actor> actors) {
    this.audit = Objects.requireNonNull(audit);
    this.broker = Objects.requireNonNull(broker);
    this.actors = Objects.requireNonNull(actors);
  }

  /** Routes open to the session-admin role as well as admins. */
  void mountSessions(Router api) {
    api.get("/sessions").handler(this::listSessions);
    api.post("/sessions/:id/logoff").handler(ctx -> sessionAction(ctx, "logoff"));
    api.post("/sessions/:id/disconnect").handler(ctx -> sessionAction(ctx, "disconnect"));
  }

  private void listSessions(RoutingContext ctx) {
    var params = ctx.request().params();
    String state = params.get("state");
    if (state != null && !STATES.contains(state)) {
      throw ClientErrorException.validation("state must be one of " + String.join(", ", STATES.stream().sorted()
          .toList()));
    }
    int limit = limit(params.get("limit"));
    SessionQuery query = new SessionQuery(null, params.get("user"), state, params.get("host"), params.get("resource"),
        "true".equals(params.get("open")), limit);
    broker.sessions(query)
        .onSuccess(list -> Responses.json(ctx, 200, new JsonObject().put("items",
            new JsonArray(list.stream().map(SessionView::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  private void sessionAction(RoutingContext ctx, String action) {
    Actor actor = actors.apply(ctx);
    String id = ctx.pathParam("id");
    Future<SessionView> done = "logoff".equals(action) ? broker.logoff(id, "logged off by admin " + actor.username())
        : broker.disconnect(id);
    done.compose(session -> audit.record(actor, "session." + action, "session", session.id(),
            session.username() + "@" + session.resourceName(), new JsonObject().put("host", session.hostName()))
            .map(session))
        .onSuccess(session -> Responses.json(ctx, 200, session.toJson()))
        .onFailure(ctx::fail);
  }

  private static int limit(String raw) {
    if (raw == null) {
      return 500;
    }
    try {
      int limit = Integer.parseInt(raw);
      if (limit >= 1 && limit <= 5000) {
        return limit;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw ClientErrorException.validation("limit must be a whole number from 1 to 5000");
  }
}
