package dev.outpost.http;

import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The router every Outpost HTTPS listener uses: request ids and logs, security headers, refusal of control
 * characters in paths and query strings ({@link InputGuard}) and of malformed WebSocket upgrades
 * ({@link WebSocketUpgradeGuard}), the feature sub-routers with a bounded JSON body,
 * the static web store and admin console ({@link Webroot}), and one failure handler for all of them.
 */
public final class ApiRouter {

  private ApiRouter() {
  }

  /**
   * @param rootRoutes routes on the root router (health, metrics, WebSocket endpoints)
   * @param apis sub-routers by mount point (e.g. {@code /api/v1}); each gets a body handler
   */
  public static Router build(Vertx vertx, int maxBodyBytes, Consumer<Router> rootRoutes,
      Map<String, Consumer<Router>> apis) {
    FailureHandler failures = new FailureHandler();
    Router router = Router.router(vertx);
    router.route().handler(new RequestLog()).handler(new SecurityHeaders()).handler(new InputGuard())
        .handler(new WebSocketUpgradeGuard());
    rootRoutes.accept(router);
    for (var api : List.copyOf(apis.entrySet())) {
      Router sub = Router.router(vertx);
      sub.route().handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
      api.getValue().accept(sub);
      sub.route().failureHandler(failures);
      router.route(api.getKey() + "/*").subRouter(sub);
    }
    Webroot.mount(router);
    router.route().failureHandler(failures);
    // whatever Vert.x Web answers by itself is a problem too, also a 500 from a failing failure handler
    for (int status : new int[] {400, 404, 405, 406, 413, 414, 415, 431, 500, 501}) {
      router.errorHandler(status, failures);
    }
    return router;
  }
}
