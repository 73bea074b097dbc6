package dev.outpost.appliance;

import dev.outpost.http.FailureHandler;
import dev.outpost.http.RequestLog;
import dev.outpost.http.SecurityHeaders;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The node's HTTPS listener: request ids and logs, security headers, body limits, the feature routers
 * mounted under their paths, the static web store, and one failure handler for all of them. Deployed once
 * per event loop; every instance shares the port.
 */
public final class HttpFrontDoor extends VerticleBase {

  private final HttpServerOptions options;
  private final int maxBodyBytes;
  private final Consumer<Router> rootRoutes;
  private final Map<String, Consumer<Router>> apis;
  private volatile int actualPort;

  /**
   * @param rootRoutes routes on the root router (health, metrics)
   * @param apis sub-routers by mount point (e.g. {@code /api/v1}); each gets a JSON body handler
   */
  public HttpFrontDoor(HttpServerOptions options, int maxBodyBytes, Consumer<Router> rootRoutes,
      Map<String, Consumer<Router>> apis) {
    this.options = Objects.requireNonNull(options);
    this.maxBodyBytes = maxBodyBytes;
    this.rootRoutes = Objects.requireNonNull(rootRoutes);
    this.apis = Map.copyOf(apis);
  }

  @Override
  public Future<?> start() {
    Router router = router(vertx);
    return vertx.createHttpServer(options).requestHandler(router).listen()
        .onSuccess(server -> actualPort = server.actualPort());
  }

  public int actualPort() {
    return actualPort;
  }

  Router router(Vertx vertx) {
    FailureHandler failures = new FailureHandler();
    Router router = Router.router(vertx);
    router.route().handler(new RequestLog()).handler(new SecurityHeaders());
    rootRoutes.accept(router);
    for (var api : List.copyOf(apis.entrySet())) {
      Router sub = Router.router(vertx);
      sub.route().handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
      api.getValue().accept(sub);
      sub.route().failureHandler(failures);
      router.route(api.getKey() + "/*").subRouter(sub);
    }
    router.route("/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(StaticHandler.create("webroot").setCachingEnabled(true).setMaxAgeSeconds(300)
        .setDirectoryListing(false).setIncludeHidden(false));
    router.route().failureHandler(failures);
    router.errorHandler(404, failures);
    router.errorHandler(405, failures);
    router.errorHandler(413, failures);
    return router;
  }
}
