package dev.outpost.admin;

import dev.outpost.admin.impl.AuditLog;
import dev.outpost.admin.impl.IdOrName;
import dev.outpost.admin.impl.Responses;
import dev.outpost.admin.impl.SpooledAudit;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Session hosts (admins only): the registered ones as the broker sees them, and the enrolled ones whose agent is not
 * registered now ({@code lost}). A host is named by id or name, like the site model's entities. Drain and
 * maintenance changes are audited apart from the database (they go on while it is down); a deletion is audited in
 * its transaction.
 */
final class HostAdminRoutes {

  private static final Set<String> HOST_FIELDS = Set.of("draining", "maintenance");
  /** The state of an enrolled host whose agent is not registered (silent, stopped, or never started). */
  private static final String LOST = "lost";
  private static final String ENROLLED = "SELECT h.id, h.name, h.address, h.pool_id, h.draining, h.maintenance, "
      + "p.name AS pool, p.max_sessions_per_host FROM hosts h JOIN pools p ON p.id = h.pool_id WHERE NOT h.revoked";
  /** A deleted host's row stays, revoked, so that its certificate keeps being refused and history names it. */
  private static final String FORGET = "UPDATE hosts SET revoked = true WHERE id = $1 AND NOT revoked";

  private final Database db;
  private final AuditLog audit;
  private final SpooledAudit spooledAudit;
  private final BrokerClient broker;
  private final Function<RoutingContext, Actor> actors;

  /** An enrolled host a path key names, with its broker view when it is registered now ({@code null} if lost). */
  private record Named(String id, String name, HostView registered, JsonObject enrolled) {

    JsonObject toJson() {
      return registered != null ? registered.toJson() : enrolled;
    }
  }

  /**
   * @param audit for the audit row of a deletion, written in its transaction
   * @param spooledAudit for drain and maintenance changes, which go on while the database is down
   * @param db the enrolled hosts, also those that are not registered
   */
  HostAdminRoutes(Database db, AuditLog audit, SpooledAudit spooledAudit, BrokerClient broker,
      Function<RoutingContext, Actor> actors) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.spooledAudit = Objects.requireNonNull(spooledAudit);
    this.broker = Objects.requireNonNull(broker);
    this.actors = Objects.requireNonNull(actors);
  }

  /**
   * Mounts the routes.
   *
   * @param managingHub the separate hub that keeps this appliance's enrolled hosts, or {@code null} when they are
   *     kept here: deleting a host is then done at that hub
   */
  void mount(Router api, URI managingHub) {
    api.get("/hosts").handler(this::list);
    api.get("/hosts/:idOrName").handler(this::read);
    api.put("/hosts/:idOrName").handler(this::update);
    if (managingHub == null) {
      api.delete("/hosts/:idOrName").handler(this::delete);
    } else {
      api.delete("/hosts/:idOrName").handler(ctx -> ctx.fail(ClientErrorException.conflict("this appliance "
          + "belongs to hub " + managingHub + ": delete hosts there, at " + managingHub.resolve(AdminApi.MOUNT
          + "/hosts/" + ctx.pathParam("idOrName")))));
    }
  }

  /** {@code ?enrolled=true} adds the enrolled hosts whose agent is not registered now, as {@code lost}. */
  private void list(RoutingContext ctx) {
    boolean enrolled = "true".equals(ctx.request().getParam("enrolled"));
    broker.hosts()
        .map(hosts -> new JsonArray(hosts.stream().map(HostView::toJson).toList()))
        .compose(registered -> enrolled ? withLost(registered) : Future.succeededFuture(registered))
        .onSuccess(items -> Responses.json(ctx, 200, new JsonObject().put("items", items)))
        .onFailure(ctx::fail);
  }

  private Future<JsonArray> withLost(JsonArray registered) {
    Set<String> live = registered.stream().map(JsonObject.class::cast).map(h -> h.getString("id"))
        .collect(Collectors.toSet());
    return db.pool().query(ENROLLED + " ORDER BY h.name").execute().map(rows -> {
      JsonArray all = registered.copy();
      for (Row row : rows) {
        if (!live.contains(row.getUUID("id").toString())) {
          all.add(lost(row));
        }
      }
      return all;
    });
  }

  private void read(RoutingContext ctx) {
    resolve(ctx.pathParam("idOrName"))
        .onSuccess(host -> Responses.json(ctx, 200, host.toJson()))
        .onFailure(ctx::fail);
  }

  private void update(RoutingContext ctx) {
    JsonObject body = checkedUpdate(JsonBodies.object(ctx));
    Actor actor = actors.apply(ctx);
    String key = ctx.pathParam("idOrName");
    resolve(key)
        .recover(e -> unknownHere(e, key))
        .compose(named -> broker.updateHost(named.id(), body.getBoolean("draining"), body.getBoolean("maintenance"))
            .compose(host -> spooledAudit.record(actor, "host.update", "host", named.id(), named.name(), body)
                .map(host == null ? new JsonObject().put("id", named.id()).put("name", named.name())
                    .put("state", "unregistered").mergeIn(body) : host.toJson())))
        .onSuccess(host -> Responses.json(ctx, 200, host))
        .onFailure(ctx::fail);
  }

  /**
   * An id this node does not know is still passed on: an appliance of a separate hub does not keep the enrolled
   * hosts, and the broker answers 404 itself for an id it does not know either.
   */
  private static Future<Named> unknownHere(Throwable e, String key) {
    boolean notFound = e instanceof ClientErrorException c && c.status() == 404;
    return notFound && IdOrName.asId(key) != null ? Future.succeededFuture(new Named(key, key, null, null))
        : Future.failedFuture(e);
  }

  private static JsonObject checkedUpdate(JsonObject body) {
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
    return body;
  }

  /**
   * Forgets a host that is not registered (decommissioned, or lost for good): it leaves the lists, and its agent's
   * certificate is refused from then on. A registered host is refused with 409: deleting it would leave its agent
   * linked and its sessions running.
   */
  private void delete(RoutingContext ctx) {
    Actor actor = actors.apply(ctx);
    resolve(ctx.pathParam("idOrName"))
        .compose(named -> named.registered() != null ? Future.failedFuture(stillLinked(named.registered()))
            : forget(named, actor))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private static ClientErrorException stillLinked(HostView host) {
    return ClientErrorException.conflict("host " + host.name() + " is registered (" + host.state() + ", "
        + host.sessions() + " session(s)): drain it, stop its agent ('outpost agent' on " + host.address()
        + "), and delete it once it shows as lost");
  }

  private Future<Void> forget(Named host, Actor actor) {
    return db.transaction(conn -> conn.preparedQuery(FORGET).execute(Tuple.of(java.util.UUID.fromString(host.id())))
        .compose(rows -> rows.rowCount() == 0 ? Future.failedFuture(ClientErrorException.notFound(
                "no enrolled host " + host.name()))
            : audit.record(conn, actor, "host.delete", "host", host.id(), host.name(),
                new JsonObject().put("pool", host.enrolled().getString("pool")))));
  }

  /**
   * The host that {@code key} names: a registered one (by id, else by name), else an enrolled one. A name two
   * enrolled hosts share is refused with 409 naming their ids.
   */
  private Future<Named> resolve(String key) {
    return broker.hosts().compose(hosts -> {
      List<HostView> matches = hosts.stream().filter(h -> h.id().equals(key)).toList();
      if (matches.isEmpty()) {
        matches = hosts.stream().filter(h -> h.name().equalsIgnoreCase(key)).toList();
      }
      if (matches.size() == 1) {
        // no database look-up: an appliance of a separate hub has its registered hosts but not their enrollment
        HostView host = matches.get(0);
        return Future.succeededFuture(new Named(host.id(), host.name(), host, null));
      }
      return enrolled(key).map(row -> new Named(row.getString("id"), row.getString("name"), null, row));
    });
  }

  /** The enrolled host {@code key} names, in its {@code lost} form; fails with 404, or 409 for a shared name. */
  private Future<JsonObject> enrolled(String key) {
    return db.pool().preparedQuery(ENROLLED + " AND " + IdOrName.condition("h", "name", 1) + " ORDER BY "
            + IdOrName.idFirst("h", 1) + ", h.enrolled_at")
        .execute(Tuple.of(IdOrName.asId(key), key))
        .map(rows -> {
          List<JsonObject> found = new java.util.ArrayList<>();
          rows.forEach(row -> found.add(lost(row)));
          if (found.isEmpty()) {
            throw ClientErrorException.notFound("no enrolled host '" + key + "'");
          }
          if (found.size() > 1 && !found.get(0).getString("id").equals(key)) {
            throw ClientErrorException.conflict(found.size() + " enrolled hosts are named '" + key
                + "': name one by id (" + found.stream().map(h -> h.getString("id")).collect(Collectors.joining(", "))
                + ")");
          }
          return found.get(0);
        });
  }

  private static JsonObject lost(Row row) {
    return new JsonObject().put("id", row.getUUID("id").toString()).put("name", row.getString("name"))
        .put("poolId", row.getUUID("pool_id").toString()).put("pool", row.getString("pool"))
        .put("address", row.getString("address")).put("state", LOST)
        .put("draining", row.getBoolean("draining")).put("maintenance", row.getBoolean("maintenance"))
        .put("sessions", 0).put("maxSessions", row.getInteger("max_sessions_per_host")).put("load", 0.0)
        .put("services", new JsonObject());
  }
}
