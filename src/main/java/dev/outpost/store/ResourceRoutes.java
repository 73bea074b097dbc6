package dev.outpost.store;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.LaunchService;
import dev.outpost.broker.UserSessionHistory;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.UserRefusal;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.Principal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Objects;

/**
 * The signed-in user's side of brokering: {@code GET /resources}, {@code POST /resources/{id}/launch},
 * {@code GET /sessions}, log off / disconnect of their own sessions and {@code GET /sessions/history}, the sessions of
 * theirs that ended.
 */
public final class ResourceRoutes {

  /** Ended sessions in one page of {@code GET /sessions/history} unless the request asks for fewer or more. */
  static final int DEFAULT_HISTORY_PAGE = 50;
  static final int MAX_HISTORY_PAGE = 200;

  private final LoginService logins;
  private final BrokerClient broker;
  private final LaunchResponses launches;
  private final UserSessionHistory history;

  /**
   * @param launches places sessions and issues their tickets, for launches and lease launches
   * @param metrics where launches, lease launches included, are counted
   * @param history where the user's ended sessions are read
   */
  public ResourceRoutes(LoginService logins, BrokerClient broker, LaunchService launches, GatewayAddresses gateways,
      LaunchMetrics metrics, UserSessionHistory history) {
    this.logins = Objects.requireNonNull(logins);
    this.broker = Objects.requireNonNull(broker);
    this.launches = new LaunchResponses(launches, gateways, metrics);
    this.history = Objects.requireNonNull(history);
  }

  /** How this store answers launches, shared with lease launches. */
  LaunchResponses launches() {
    return launches;
  }

  public void mount(Router api) {
    AuthHandler signedIn = AuthHandler.signedIn(logins);
    api.get("/resources").handler(signedIn).handler(this::list);
    api.post("/resources/:id/launch").handler(signedIn).handler(this::launch);
    api.get("/sessions").handler(signedIn).handler(this::sessions);
    api.get("/sessions/history").handler(signedIn).handler(this::history);
    api.post("/sessions/:id/logoff").handler(signedIn).handler(ctx -> ownSession(ctx, "logoff"));
    api.post("/sessions/:id/disconnect").handler(signedIn).handler(ctx -> ownSession(ctx, "disconnect"));
  }

  private void list(RoutingContext ctx) {
    broker.resources(user(ctx))
        .onSuccess(resources -> json(ctx, 200, new JsonObject().put("items",
            new JsonArray(resources.stream().map(ResourceRoutes::forUser).map(ResourceView::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  /**
   * A resource as its user sees it: why it cannot start now in their words; which hosts, pools and ports are
   * missing is for admins (the hosts list, the log of a refused launch).
   */
  static ResourceView forUser(ResourceView view) {
    if (view.available() || view.reason() == null) {
      return view;
    }
    return new ResourceView(view.resource(), false,
        dev.outpost.broker.BrokerModels.ResourceView.AT_CAPACITY.equals(view.reason()) ? UserRefusal.BUSY
            : UserRefusal.NOT_AVAILABLE);
  }

  /** {@code ?format=file} answers with the {@code .outpost} launch file as a download instead. */
  private void launch(RoutingContext ctx) {
    String resource = ctx.pathParam("id");
    launches.launch(ctx, user(ctx), resource)
        .map(body -> body.put("download", "/api/v1/resources/" + body.getJsonObject("session").getString("resourceId")
            + "/launch?format=file"))
        .onSuccess(body -> {
          if ("file".equals(ctx.request().getParam("format"))) {
            ctx.response().putHeader("Content-Disposition", "attachment; filename=\""
                + LaunchDescriptor.fileName(body.getJsonObject("session").getString("resource")) + "\"")
                .putHeader("Content-Type", LaunchDescriptor.FILE_MEDIA_TYPE).putHeader("Cache-Control", "no-store")
                .end(body.getJsonObject("launchFile").encodePrettily());
          } else {
            json(ctx, 200, body);
          }
        })
        .onFailure(ctx::fail);
  }

  private void sessions(RoutingContext ctx) {
    boolean all = "true".equals(ctx.request().getParam("all"));
    Principal principal = AuthHandler.principal(ctx);
    broker.sessions(new SessionQuery(principal.userId(), null, null, null, null, !all, 1000))
        .onSuccess(list -> json(ctx, 200, new JsonObject().put("items",
            new JsonArray(list.stream().map(ResourceRoutes::publicView).toList()))))
        .onFailure(ctx::fail);
  }

  /** {@code ?limit=} (1 to 200, 50 when absent) and {@code ?cursor=} (the previous page's {@code nextCursor}). */
  private void history(RoutingContext ctx) {
    String cursor = ctx.request().getParam("cursor");
    history.page(AuthHandler.principal(ctx).userId(), cursor == null || cursor.isBlank() ? null : cursor,
            historyLimit(ctx.request().getParam("limit")))
        .onSuccess(page -> json(ctx, 200, page))
        .onFailure(ctx::fail);
  }

  private static int historyLimit(String raw) {
    if (raw == null) {
      return DEFAULT_HISTORY_PAGE;
    }
    try {
      int limit = Integer.parseInt(raw);
      if (limit >= 1 && limit <= MAX_HISTORY_PAGE) {
        return limit;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw ClientErrorException.validation("limit must be a whole number from 1 to " + MAX_HISTORY_PAGE);
  }

  private void ownSession(RoutingContext ctx, String action) {
    Principal principal = AuthHandler.principal(ctx);
    String sessionId = ctx.pathParam("id");
    broker.sessions(new SessionQuery(principal.userId(), null, null, null, null, true, 1000))
        .compose(own -> owns(own, sessionId) ? act(action, sessionId, principal)
            : "logoff".equals(action) ? alreadyEnded(principal, sessionId)
            : Future.failedFuture(ClientErrorException.notFound("you have no open session " + sessionId)))
        .onSuccess(session -> json(ctx, 200, publicView(session)))
        .onFailure(ctx::fail);
  }

  /**
   * A log-off of the user's own session that has ended already answers as the first one did: a client that retries
   * a log-off whose answer it lost (the node it asked died) is told the session is over, not that it has none.
   */
  private Future<SessionView> alreadyEnded(Principal principal, String sessionId) {
    return broker.sessions(new SessionQuery(principal.userId(), null, SessionState.ENDED, null, null, false, 1000))
        .compose(ended -> ended.stream().filter(s -> s.id().equals(sessionId)).findFirst()
            .map(Future::succeededFuture)
            .orElseGet(() -> Future.failedFuture(ClientErrorException.notFound("you have no open session "
                + sessionId))));
  }

  private Future<SessionView> act(String action, String sessionId, Principal principal) {
    return "logoff".equals(action) ? broker.logoff(sessionId, "logged off by " + principal.username())
        : broker.disconnect(sessionId);
  }

  private static boolean owns(List<SessionView> sessions, String sessionId) {
    return sessions.stream().anyMatch(s -> s.id().equals(sessionId));
  }

  /** A session as its user sees it: no internal host address. */
  static JsonObject publicView(SessionView s) {
    return new JsonObject().put("id", s.id()).put("resourceId", s.resourceId()).put("resource", s.resourceName())
        .put("host", s.hostName()).put("state", s.state().wireName()).put("createdAt", s.createdAt().toString())
        .put("updatedAt", s.updatedAt().toString()).put("endReason", s.endReason());
  }

  private static UserRef user(RoutingContext ctx) {
    Principal p = AuthHandler.principal(ctx);
    return new UserRef(p.userId(), p.username(), p.directoryGroups());
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    LaunchResponses.json(ctx, status, body);
  }
}
