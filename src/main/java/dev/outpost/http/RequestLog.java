package dev.outpost.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Assigns the request id and writes one log line per request when its response ends. */
public final class RequestLog implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger("dev.outpost.http.access");

  @Override
  public void handle(RoutingContext ctx) {
    RequestContext.assignId(ctx);
    long start = System.nanoTime();
    ctx.addEndHandler(done -> {
      if (ctx.request().path().startsWith("/health/") && ctx.response().getStatusCode() == 200) {
        return; // probes would drown every other line
      }
      String user = ctx.get(RequestContext.USER_KEY) instanceof String name ? name : "-";
      LOG.atInfo()
          .addKeyValue("requestId", RequestContext.requestId(ctx))
          .addKeyValue("method", ctx.request().method().name())
          .addKeyValue("path", ctx.request().path())
          .addKeyValue("status", ctx.response().getStatusCode())
          .addKeyValue("ms", (System.nanoTime() - start) / 1_000_000)
          .addKeyValue("bytes", ctx.response().bytesWritten())
          .addKeyValue("user", user)
          .addKeyValue("client", RequestContext.clientAddress(ctx))
          .log("{} {} {}", ctx.request().method(), ctx.request().path(), ctx.response().getStatusCode());
    });
    ctx.next();
  }
}
