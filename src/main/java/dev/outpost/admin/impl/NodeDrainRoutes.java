package dev.outpost.admin.impl;

import dev.outpost.cluster.LocalControl;
import dev.outpost.cluster.NodeDrain;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.http.RequestContext;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.Role;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /nodes/{id}/drain} (start draining this node) and {@code GET /nodes/{id}/drain} (its progress), for
 * an admin or for the data dir's local control credential ({@code outpost appliance drain-node}). They act on the
 * node that answers only: {@code id} is its node id, its member id or {@code local}. Starting a drain is audited.
 */
public final class NodeDrainRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(NodeDrainRoutes.class);
  private static final String PATH = "/nodes/:id/drain";
  private static final String LOCAL_OPERATOR = "local operator (data dir credential)";
  private static final String VIA_CREDENTIAL = "outpost.drain.local";

  private final Database db;
  private final AuditLog audit;
  private final Handler<RoutingContext> adminOnly;
  private final NodeDrain drain;
  private final LocalControl control;
  private final Predicate<String> thisNode;
  private final String node;

  /**
   * @param thisNode whether an id names the node that answers
   * @param node this node's id, recorded in audit rows
   */
  public NodeDrainRoutes(Database db, AuditLog audit, LoginService logins, NodeDrain drain, LocalControl control,
      Predicate<String> thisNode, String node) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.adminOnly = AuthHandler.requireAny(logins, Role.ADMIN);
    this.drain = Objects.requireNonNull(drain);
    this.control = Objects.requireNonNull(control);
    this.thisNode = Objects.requireNonNull(thisNode);
    this.node = Objects.requireNonNull(node);
  }

  /** Mounts the routes; call before the admin role check, since they authenticate the local credential too. */
  public void mount(Router api) {
    api.route(PATH).handler(this::authenticate).handler(this::checkNode);
    api.post(PATH).handler(this::start);
    api.get(PATH).handler(ctx -> Responses.json(ctx, 200, drain.status()));
  }

  private void authenticate(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    boolean bearer = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7);
    if (bearer && control.accepts(header.substring(7).trim())) {
      ctx.put(VIA_CREDENTIAL, Boolean.TRUE);
      ctx.put(RequestContext.USER_KEY, LOCAL_OPERATOR);
      ctx.next();
      return;
    }
    adminOnly.handle(ctx);
  }

  private void checkNode(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!thisNode.test(id)) {
      ctx.fail(ClientErrorException.conflict("node " + id + " is not the node that answered (" + node + "): send "
          + "the request to that node's own address, or use 'local'"));
      return;
    }
    ctx.next();
  }

  private void start(RoutingContext ctx) {
    JsonObject body = ctx.body() == null || ctx.body().length() <= 0 ? new JsonObject() : JsonBodies.object(ctx);
    NodeDrain.Settings settings;
    try {
      settings = new NodeDrain.Settings(seconds(body, "graceSeconds", NodeDrain.Settings.DEFAULT_GRACE),
          seconds(body, "timeoutSeconds", NodeDrain.Settings.DEFAULT_TIMEOUT), body.getValue("stop") == null
          || Boolean.TRUE.equals(body.getValue("stop")));
    } catch (IllegalArgumentException e) {
      throw ClientErrorException.validation(e.getMessage());
    }
    boolean first = !drain.draining();
    JsonObject status = drain.start(settings);
    if (first) {
      record(ctx, settings);
    }
    Responses.json(ctx, 202, status);
  }

  private static Duration seconds(JsonObject body, String key, Duration fallback) {
    Object value = body.getValue(key);
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Number number) || number.longValue() < 0 || number.doubleValue() != number.longValue()) {
      throw new IllegalArgumentException(key + " must be a whole number of seconds, 0 or more");
    }
    return Duration.ofSeconds(number.longValue());
  }

  /** Audits the drain; a database that cannot be reached must not stop a drain, so failures are only logged. */
  private void record(RoutingContext ctx, NodeDrain.Settings settings) {
    Actor actor = Boolean.TRUE.equals(ctx.get(VIA_CREDENTIAL))
        ? new Actor("", LOCAL_OPERATOR, RequestContext.requestId(ctx), node)
        : actor(ctx);
    JsonObject detail = new JsonObject().put("graceSeconds", settings.grace().toSeconds())
        .put("timeoutSeconds", settings.timeout().toSeconds()).put("stop", settings.stop());
    db.transaction(conn -> audit.record(conn, actor, "node.drain", "node", node, node, detail))
        .onFailure(e -> LOG.warn("The drain of node {} by {} could not be audited: {}", node, actor.username(),
            e.getMessage()));
  }

  private Actor actor(RoutingContext ctx) {
    var principal = AuthHandler.principal(ctx);
    return new Actor(principal.userId(), principal.username(), RequestContext.requestId(ctx), node);
  }
}
