package dev.outpost.admin;

import dev.outpost.admin.impl.EndedSessions;
import dev.outpost.admin.impl.SpooledAudit;
import dev.outpost.admin.impl.Responses;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.SessionState;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.function.Function;

/**
 * Sessions (admins and session admins) as the broker sees them, and the session history in the database. Every
 * action is audited; hosts are {@link HostAdminRoutes}.
 */
final class BrokerAdminRoutes {


  private final SpooledAudit audit;
  private final BrokerClient broker;
  private final Function<RoutingContext, Actor> actors;
  private final EndedSessions history;

  /**
   * @param audit where the actions are audited: they go on while the database is down, so their entries may wait
   *     on disk
   * @param db where the session history is
   */
  BrokerAdminRoutes(SpooledAudit audit, BrokerClient broker, Function<RoutingContext, Actor> actors, Database db) {
    this.history = new EndedSessions(db);
    this.audit = Objects.requireNonNull(audit);
    this.broker = Objects.requireNonNull(broker);
    this.actors = Objects.requireNonNull(actors);
  }

  /**
   * Routes open to the session-admin role as well as admins.
   *
   * @param hub the separate hub this appliance belongs to, which keeps its session history; {@code null} all-in-one
   *     and on a hub
   */
  void mountSessions(Router api, java.net.URI hub) {
    api.get("/sessions").handler(ctx -> listSessions(ctx, hub));
    api.post("/sessions/:id/logoff").handler(ctx -> sessionAction(ctx, "logoff"));
    api.post("/sessions/:id/disconnect").handler(ctx -> sessionAction(ctx, "disconnect"));
  }

  private void listSessions(RoutingContext ctx, java.net.URI hub) {
    var params = ctx.request().params();
    SessionState state = params.get("state") == null ? null : SessionState.fromWire(params.get("state"));
    int limit = limit(params.get("limit"));
    if (state == SessionState.ENDED) {
      listEnded(ctx, limit, hub);
      return;
    }
    for (String name : EndedSessions.HISTORY_PARAMETERS) {
      if (params.contains(name)) {
        throw ClientErrorException.validation(name + " filters the session history: send it with state=ended");
      }
    }
    SessionQuery query = new SessionQuery(null, params.get("user"), state, params.get("host"), params.get("resource"),
        "true".equals(params.get("open")), limit);
    broker.sessions(query)
        .onSuccess(list -> Responses.json(ctx, 200, new JsonObject().put("items",
            new JsonArray(list.stream().map(SessionView::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  /**
   * {@code state=ended}: the session history in the database, which outlives the broker's memory.
   *
   * @param hub the separate hub that keeps the history instead, or {@code null}
   */
  private void listEnded(RoutingContext ctx, int limit, java.net.URI hub) {
    if ("true".equals(ctx.request().getParam("open"))) {
      throw ClientErrorException.validation("open=true and state=ended exclude each other");
    }
    if (hub != null) {
      throw ClientErrorException.conflict("this appliance belongs to hub " + hub + ", which keeps the session "
          + "history: read it there, at " + hub.resolve(AdminApi.MOUNT + "/sessions?state=ended"));
    }
    history.page(EndedSessions.Query.of(ctx.request().params(), limit))
        .onSuccess(page -> Responses.json(ctx, 200, page))
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
