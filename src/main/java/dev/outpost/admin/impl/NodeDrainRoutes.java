package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import dev.outpost.cluster.LocalControl;
import dev.outpost.cluster.NodeDrain;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ProblemReplies;
import dev.outpost.error.ServerErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.http.RequestContext;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.Role;
import dev.outpost.wire.SchemaVersion;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /nodes/{id}/drain} (start draining a node) and {@code GET /nodes/{id}/drain} (its progress). On the
 * node that answers, {@code id} is its node id, its member id or {@code local}, for an admin or for the data dir's
 * local control credential ({@code outpost appliance drain-node}). An admin may name any other node of the
 * cluster too: the request goes to that node over the cluster's event bus and its answer comes back. The node
 * that drains audits the start, with the admin and the node the request came in through.
 */
public final class NodeDrainRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(NodeDrainRoutes.class);
  /** Where each node answers drain requests from the other nodes, followed by its node id. */
  public static final String ADDRESS = "outpost.node.drain.";
  /** Major schema version of those requests. */
  public static final int VERSION = 1;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String PATH = "/nodes/:id/drain";
  private static final String LOCAL_OPERATOR = "local operator (data dir credential)";
  private static final String VIA_CREDENTIAL = "outpost.drain.local";

  private final Database db;
  private final AuditLog audit;
  private final Handler<RoutingContext> adminOnly;
  private final NodeDrain drain;
  private final LocalControl control;
  private final EventBus bus;
  private final Function<String, Optional<String>> nodeOf;
  private final String node;
  private final Supplier<String> nodeName;

  /**
   * @param nodeOf the node id of the member a node id or member id names now (a member's id changes when it
   *     merges back after a split), or empty when no member has it
   * @param node this node's id
   * @param nodeName this node's name, recorded in audit rows
   */
  public NodeDrainRoutes(Database db, AuditLog audit, LoginService logins, NodeDrain drain, LocalControl control,
      EventBus bus, Function<String, Optional<String>> nodeOf, String node, Supplier<String> nodeName) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.adminOnly = AuthHandler.requireAny(logins, Role.ADMIN);
    this.drain = Objects.requireNonNull(drain);
    this.control = Objects.requireNonNull(control);
    this.bus = Objects.requireNonNull(bus);
    this.nodeOf = Objects.requireNonNull(nodeOf);
    this.node = Objects.requireNonNull(node);
    this.nodeName = Objects.requireNonNull(nodeName);
  }

  /** Answers the other nodes' requests for this node; call once per node. */
  public void listen() {
    bus.<JsonObject>consumer(ADDRESS + node, this::serve);
  }

  /** Mounts the routes; call before the admin role check, since they authenticate the local credential too. */
  public void mount(Router api) {
    api.route(PATH).handler(this::authenticate).handler(this::checkNode);
    api.post(PATH).handler(ctx -> Responses.json(ctx, 202, start(body(ctx), actor(ctx))));
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
    Optional<String> named = "local".equals(id) ? Optional.of(node) : nodeOf.apply(id);
    if (named.isPresent() && named.get().equals(node)) {
      ctx.next();
    } else if (Boolean.TRUE.equals(ctx.get(VIA_CREDENTIAL))) {
      ctx.fail(ClientErrorException.conflict("node " + id + " is not the node that answered (" + node + "): the "
          + "data dir's control credential drains its own node only; use 'local', or an admin session"));
    } else if (named.isEmpty()) {
      ctx.fail(unknown(id));
    } else {
      forward(ctx, named.get());
    }
  }

  /** Sends an admin's request for another node to that node and answers with what it says. */
  private void forward(RoutingContext ctx, String id) {
    boolean post = ctx.request().method() == HttpMethod.POST;
    JsonObject request = SchemaVersion.stamp(new JsonObject(), VERSION).put("op", post ? "start" : "status");
    if (post) {
      Actor actor = actor(ctx);
      request.put("body", body(ctx)).put("actor", new JsonObject().put("userId", actor.userId())
          .put("username", actor.username()).put("requestId", actor.requestId()).put("node", actor.node()));
    }
    bus.<JsonObject>request(ADDRESS + id, request, new DeliveryOptions().setSendTimeout(TIMEOUT.toMillis()))
        .onSuccess(reply -> Responses.json(ctx, post ? 202 : 200, reply.body()))
        .onFailure(e -> ctx.fail(ProblemReplies.read(e).orElseGet(() -> ProblemReplies.noHandler(e) ? unknown(id)
            : ServerErrorException.unavailable("node " + id + " did not answer (" + e.getMessage() + "); try again",
                e))));
  }

  private static ClientErrorException unknown(String id) {
    return ClientErrorException.notFound("no node '" + id + "' in this cluster: GET /admin/api/v1/nodes lists them "
        + "(use an item's node or id)");
  }

  private void serve(Message<JsonObject> message) {
    JsonObject request = message.body();
    Optional<String> refused = SchemaVersion.refusal(request, VERSION, "node drain request");
    if (refused.isPresent()) {
      ProblemReplies.fail(message, ClientErrorException.badRequest(refused.get()), "");
      return;
    }
    try {
      if ("start".equals(request.getString("op"))) {
        JsonObject by = request.getJsonObject("actor", new JsonObject());
        message.reply(start(request.getJsonObject("body", new JsonObject()), new Actor(by.getString("userId", ""),
            by.getString("username", "unknown admin"), by.getString("requestId", ""), by.getString("node", ""))));
      } else {
        message.reply(drain.status());
      }
    } catch (RuntimeException e) {
      ProblemReplies.fail(message, e, "node " + node + " could not start draining");
    }
  }

  /** Starts draining this node, or reports the drain already under way; audits the start. */
  private JsonObject start(JsonObject body, Actor actor) {
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
      record(actor, settings);
    }
    return status;
  }

  private static JsonObject body(RoutingContext ctx) {
    return ctx.body() == null || ctx.body().length() <= 0 ? new JsonObject() : JsonBodies.object(ctx);
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
  private void record(Actor actor, NodeDrain.Settings settings) {
    JsonObject detail = new JsonObject().put("graceSeconds", settings.grace().toSeconds())
        .put("timeoutSeconds", settings.timeout().toSeconds()).put("stop", settings.stop());
    db.transaction(conn -> audit.record(conn, actor, "node.drain", "node", node, nodeName.get(), detail))
        .onFailure(e -> LOG.warn("The drain of node {} by {} could not be audited: {}", node, actor.username(),
            e.getMessage()));
  }

  /** Who asks: the local operator or the signed-in admin, through this node. */
  private Actor actor(RoutingContext ctx) {
    if (Boolean.TRUE.equals(ctx.get(VIA_CREDENTIAL))) {
      return new Actor("", LOCAL_OPERATOR, RequestContext.requestId(ctx), nodeName.get());
    }
    var principal = AuthHandler.principal(ctx);
    return new Actor(principal.userId(), principal.username(), RequestContext.requestId(ctx), nodeName.get());
  }
}
