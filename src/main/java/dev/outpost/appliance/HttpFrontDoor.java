package dev.outpost.appliance;

import dev.outpost.http.ApiRouter;
import dev.outpost.http.HttpListener;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The node's HTTPS listener: request ids and logs, security headers, body limits, the feature routers
 * mounted under their paths, the static web store, and one failure handler for all of them; the
 * {@link HttpListener} refuses malformed requests and slow request heads. Deployed once
 * per event loop; every instance shares the port.
 */
public final class HttpFrontDoor extends VerticleBase {

  private final HttpListener listener;
  private final int maxBodyBytes;
  private final Consumer<Router> rootRoutes;
  private final Map<String, Consumer<Router>> apis;
  private volatile int actualPort;
  private volatile HttpServer server;

  /**
   * @param rootRoutes routes on the root router (health, metrics)
   * @param apis sub-routers by mount point (e.g. {@code /api/v1}); each gets a JSON body handler
   */
  public HttpFrontDoor(HttpListener listener, int maxBodyBytes, Consumer<Router> rootRoutes,
      Map<String, Consumer<Router>> apis) {
    this.listener = Objects.requireNonNull(listener);
    this.maxBodyBytes = maxBodyBytes;
    this.rootRoutes = Objects.requireNonNull(rootRoutes);
    this.apis = Map.copyOf(apis);
  }

  @Override
  public Future<?> start() {
    Router router = router(vertx);
    return listener.listen(vertx, router)
        .onSuccess(started -> {
          server = started;
          actualPort = started.actualPort();
        });
  }

  public int actualPort() {
    return actualPort;
  }

  /** The server once it listens (its TLS settings follow the node's certificate); null before. */
  public HttpServer server() {
    return server;
  }

  /** The options the server listens with. */
  public HttpListener listener() {
    return listener;
  }

  Router router(Vertx vertx) {
    return ApiRouter.build(vertx, maxBodyBytes, rootRoutes, apis);
  }
}
