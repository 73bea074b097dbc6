package dev.outpost.http;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.Objects;

/**
 * An Outpost HTTPS listener (the appliance's front door, the hub): its server options, the router, problem+json
 * answers with the security headers for requests Vert.x refuses before any route sees them
 * ({@link FramingRefusals}), and a deadline for each request head ({@link HeaderDeadline}).
 */
public final class HttpListener {

  /** Default of {@code http.header-timeout}. */
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);

  private final HttpServerOptions options;
  private final Duration headerTimeout;

  /**
   * @param headerTimeout how long a client has to send a whole request head (request line and headers), counted
   *     from the connection's first byte after TLS or from the first byte of a later request on it
   */
  public HttpListener(HttpServerOptions options, Duration headerTimeout) {
    this.options = Objects.requireNonNull(options);
    this.headerTimeout = Objects.requireNonNull(headerTimeout);
    if (headerTimeout.isNegative() || headerTimeout.isZero()) {
      throw new IllegalArgumentException("the header timeout must be positive: " + headerTimeout);
    }
  }

  /** A listener with {@link #DEFAULT_HEADER_TIMEOUT}. */
  public static HttpListener of(HttpServerOptions options) {
    return new HttpListener(options, DEFAULT_HEADER_TIMEOUT);
  }

  public HttpServerOptions options() {
    return options;
  }

  /** Creates the server on the caller's context and binds it. */
  public Future<HttpServer> listen(Vertx vertx, Router router) {
    return vertx.createHttpServer(options)
        .requestHandler(router)
        .invalidRequestHandler(new FramingRefusals())
        .connectionHandler(connection -> HeaderDeadline.install(connection, headerTimeout))
        .listen();
  }
}
