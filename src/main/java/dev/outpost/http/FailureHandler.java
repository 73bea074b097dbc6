package dev.outpost.http;

import dev.outpost.db.DatabaseUnavailableException;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import io.vertx.core.Handler;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a failed request becomes a response: Outpost exceptions keep their status, framework
 * errors (unknown route, wrong method, oversize body, bad JSON) get their 4xx, anything else is a 500 whose
 * id is logged with the stack trace and shown to the caller without it. Refusals that a working site gives (no host
 * free, a node draining) are logged at info in one line, with the admin-level detail the caller may not have seen.
 */
public final class FailureHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);

  @Override
  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    String instance = ctx.request().path();
    String requestId = RequestContext.requestId(ctx);
    if (ctx.response().headWritten() && !(failure instanceof OutpostException)) {
      // e.g. a WebSocket upgrade the client abandoned mid-handshake: nothing can be answered any more
      LOG.atDebug().addKeyValue("requestId", requestId).log("{} {} ended after its response started: {}",
          ctx.request().method(), instance, String.valueOf(failure));
      return;
    }
    failure = DatabaseUnavailableException.of(failure).<Throwable>map(e -> e).orElse(failure);
    if (failure instanceof OutpostException e) {
      if (!e.expected()) {
        LOG.atError().addKeyValue("requestId", requestId).setCause(e)
            .log("{} {} failed: {}", ctx.request().method(), instance, e.detail());
      } else if (e.status() >= 500 || e.getCause() instanceof OutpostException) {
        // a working site's refusal (no host free, a node draining, a full pool): worth a line, not a stack trace
        LOG.atInfo().addKeyValue("requestId", requestId).log("{} {} refused: {}", ctx.request().method(), instance,
            e.detailForAdmins());
      } else {
        LOG.atDebug().addKeyValue("requestId", requestId).log("{} {} refused: {}", ctx.request().method(), instance,
            e.detail());
      }
      Problems.send(ctx.response(), e, instance);
      return;
    }
    if (failure instanceof DecodeException || failure instanceof IllegalArgumentException && ctx.statusCode() == 400) {
      Problems.send(ctx.response(), ClientErrorException.badRequest("the request body is not valid JSON"), instance);
      return;
    }
    int status = failure instanceof HttpException http ? http.getStatusCode() : ctx.statusCode();
    if (failure == null && status >= 400 && status < 500) {
      Problems.send(ctx.response(), status, typeOf(status), detailOf(status, ctx), instance);
      return;
    }
    if (failure instanceof HttpException && status >= 400 && status < 500) {
      Problems.send(ctx.response(), status, typeOf(status), detailOf(status, ctx), instance);
      return;
    }
    LOG.atError().addKeyValue("requestId", requestId).setCause(failure)
        .log("{} {} failed unexpectedly", ctx.request().method(), instance);
    Problems.send(ctx.response(), 500, "internal",
        "Outpost could not complete the request; quote request id " + requestId + " when reporting it", instance);
  }

  static String typeOf(int status) {
    return switch (status) {
      case 400 -> "bad-request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not-found";
      case 405 -> "method-not-allowed";
      case 406 -> "not-acceptable";
      case 413 -> "payload-too-large";
      case 415 -> "unsupported-media-type";
      default -> "client-error";
    };
  }

  static String detailOf(int status, RoutingContext ctx) {
    return switch (status) {
      case 400 -> "the request is malformed";
      case 401 -> "sign in first: send a bearer token or the session cookie";
      case 403 -> "your account is not allowed to do this";
      case 404 -> "no such resource: " + ctx.request().path();
      case 405 -> ctx.request().method() + " is not allowed on " + ctx.request().path();
      case 413 -> "the request body is larger than this server accepts";
      case 415 -> "send the body as application/json";
      default -> "the request cannot be served";
    };
  }
}
