package dev.outpost.admin;

import dev.outpost.admin.impl.Actor;
import dev.outpost.admin.impl.SpooledAudit;
import dev.outpost.admin.impl.Responses;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.SessionState;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Sessions (admins and session admins) and hosts (admins) as the broker sees them. Every action is audited.
 */
final class BrokerAdminRoutes {

  private static final Set<String> HOST_FIELDS = Set.of("draining", "maintenance");
  /** The state of an enrolled host whose agent is not registered (silent, stopped, or never started). */
  private static final String LOST = "lost";
  private static final String ENROLLED_HOSTS = "SELECT h.id, h.name, h.address, h.pool_id, h.draining, h.maintenance, "
      + "p.name AS pool, p.max_sessions_per_host FROM hosts h JOIN pools p ON p.id = h.pool_id WHERE NOT h.revoked "
      + "ORDER BY h.name";

  private final SpooledAudit audit;
  private final BrokerClient broker;
  private final Function<RoutingContext, Actor> actors;
  private final Database db;

  /**
   * @param audit where the actions are audited: they go on while the database is down, so their entries may wait
   *     on disk
   * @param db for the enrolled hosts that are not registered
   */
  BrokerAdminRoutes(SpooledAudit audit, BrokerClient broker, Function<RoutingContext, Actor> actors, Database db) {
    this.db = Objects.requireNonNull(db);
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

  /** Admin-only routes. */
  void mountHosts(Router api) {
    api.get("/hosts").handler(this::listHosts);
    api.get("/hosts/:id").handler(this::getHost);
    api.put("/hosts/:id").handler(this::updateHost);
  }

  private void listSessions(RoutingContext ctx) {
    var params = ctx.request().params();
    SessionState state = params.get("state") == null ? null : SessionState.fromWire(params.get("state"));
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

  /** {@code ?enrolled=true} adds the enrolled hosts whose agent is not registered now, as {@code lost}. */
  private void listHosts(RoutingContext ctx) {
    boolean enrolled = "true".equals(ctx.request().getParam("enrolled"));
    broker.hosts()
        .map(hosts -> new JsonArray(hosts.stream().map(HostView::toJson).toList()))
        .compose(registered -> enrolled ? withLost(registered) : Future.succeededFuture(registered))
        .onSuccess(items -> Responses.json(ctx, 200, new JsonObject().put("items", items)))
        .onFailure(ctx::fail);
  }

  private Future<JsonArray> withLost(JsonArray registered) {
    Set<String> live = registered.stream().map(JsonObject.class::cast).map(h -> h.getString("id"))
        .collect(java.util.stream.Collectors.toSet());
    return db.pool().query(ENROLLED_HOSTS).execute().map(rows -> {
      JsonArray all = registered.copy();
      for (Row row : rows) {
        String id = row.getUUID("id").toString();
        if (!live.contains(id)) {
          all.add(new JsonObject().put("id", id).put("name", row.getString("name"))
              .put("poolId", row.getUUID("pool_id").toString()).put("pool", row.getString("pool"))
              .put("address", row.getString("address")).put("state", LOST)
              .put("draining", row.getBoolean("draining")).put("maintenance", row.getBoolean("maintenance"))
              .put("sessions", 0).put("maxSessions", row.getInteger("max_sessions_per_host")).put("load", 0.0)
              .put("services", new JsonObject()));
        }
      }
      return all;
    });
  }

  private void getHost(RoutingContext ctx) {
    String key = ctx.pathParam("id");
    broker.hosts()
        .map(hosts -> hosts.stream().filter(h -> h.id().equals(key) || h.name().equalsIgnoreCase(key)).findFirst()
            .orElseThrow(() -> ClientErrorException.notFound("no registered host " + key)))
        .onSuccess(host -> Responses.json(ctx, 200, host.toJson()))
        .onFailure(ctx::fail);
  }

  private void updateHost(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    for (String field : body.fieldNames()) {
      if (!HOST_FIELDS.contains(field)) {
        throw ClientErrorException.validation("unknown field '" + field + "'; allowed: draining, maintenance");
      }
      if (!(body.getValue(field) instanceof Boolean)) {
        throw ClientErrorException.validation("field '" + field + "' must be true or false");
      }
    }
    if (body.isEmpty()) {
      throw ClientErrorException.validation("send draining and/or maintenance");
    }
    Actor actor = actors.apply(ctx);
    String id = ctx.pathParam("id");
    broker.updateHost(id, body.getBoolean("draining"), body.getBoolean("maintenance"))
        .compose(host -> audit.record(actor, "host.update", "host", id, host == null ? "" : host.name(), body)
            .map(host))
        .onSuccess(host -> Responses.json(ctx, 200, host == null
            ? new JsonObject().put("id", id).put("state", "unregistered").mergeIn(body) : host.toJson()))
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
