package dev.outpost.http;

import dev.outpost.db.DatabaseUnavailableException;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import io.vertx.core.Handler;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.json.DecodeException;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.pgclient.PgException;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a failed request becomes a response: Outpost exceptions keep their status, framework
 * errors (unknown route, wrong method, oversize body, bad JSON) get their 4xx, a value PostgreSQL refuses to store
 * is the caller's 400, anything else is a 500 whose id is logged with the stack trace and shown to the caller
 * without it. Refusals that a working site gives (no host free, a node draining) are logged at info in one line,
 * with the admin-level detail the caller may not have seen.
 */
public final class FailureHandler implements Handler<RoutingContext> {

  private static final Logger LOG = LoggerFactory.getLogger(FailureHandler.class);
  /**
   * SQLSTATEs (class 22, data exception) of a value PostgreSQL cannot store or parse: a character it cannot hold
   * (22021: NUL), a malformed number, id or date, a value too long or out of range. The request's input caused
   * them, so they are the caller's 400; Outpost refuses such input before it gets here (see {@link InputGuard},
   * {@link JsonBodies}), and this is the last line of defence.
   */
  private static final Set<String> REFUSED_VALUES = Set.of("22021", "22P05", "22P02", "22001", "22003", "22007",
      "22008", "22019", "22025", "2201B");

  @Override
  public void handle(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    String instance = ctx.request().path();
    String requestId = RequestContext.requestId(ctx);
    if (failure instanceof HttpClosedException || ctx.response().closed()) {
      // the client went away, or the connection was closed under it (e.g. its body framing broke): no one to answer
      LOG.atDebug().addKeyValue("requestId", requestId).log("{} {} ended with its connection: {}",
          ctx.request().method(), instance, String.valueOf(failure));
      return;
    }
    if (ctx.response().headWritten() && !(failure instanceof OutpostException)) {
      // e.g. a WebSocket upgrade the client abandoned mid-handshake: nothing can be answered any more
      LOG.atDebug().addKeyValue("requestId", requestId).log("{} {} ended after its response started: {}",
          ctx.request().method(), instance, String.valueOf(failure));
      return;
    }
    failure = DatabaseUnavailableException.of(failure).<Throwable>map(e -> e).orElse(failure);
    Optional<PgException> refused = refusedValue(failure);
    if (refused.isPresent()) {
      // worth a warning: some input passed the checks at the front door that should have refused it
      LOG.atWarn().addKeyValue("requestId", requestId).addKeyValue("sqlState", refused.get().getSqlState())
          .log("{} {} refused by the database: a value of the request cannot be stored", ctx.request().method(),
              instance);
      Problems.send(ctx.response(), 400, "invalid-value", "a value in the request cannot be stored: it holds a "
          + "character or has a form that the database refuses (SQLSTATE " + refused.get().getSqlState() + ")",
          instance);
      return;
    }
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
    if ((failure == null || failure instanceof HttpException) && status >= 400 && status < 500) {
      Problems.send(ctx.response(), status, typeOf(status), detailOf(status, ctx), instance);
      return;
    }
    if (failure instanceof VertxException framework && framework.getMessage() != null && status >= 400
        && status < 500) {
      // Vert.x Web's own refusals say what is wrong in a fixed sentence (e.g. an HTTP/1.1 request without Host)
      Problems.send(ctx.response(), status, typeOf(status), framework.getMessage(), instance);
      return;
    }
    LOG.atError().addKeyValue("requestId", requestId).setCause(failure)
        .log("{} {} failed unexpectedly", ctx.request().method(), instance);
    Problems.send(ctx.response(), 500, "internal",
        "Outpost could not complete the request; quote request id " + requestId + " when reporting it", instance);
  }

  /** The PostgreSQL error behind {@code failure} when it says that an input value cannot be stored. */
  static Optional<PgException> refusedValue(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
      if (cause instanceof OutpostException) {
        return Optional.empty();
      }
      if (cause instanceof PgException pg && REFUSED_VALUES.contains(pg.getSqlState())) {
        return Optional.of(pg);
      }
    }
    return Optional.empty();
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
      case 414 -> "uri-too-long";
      case 415 -> "unsupported-media-type";
      case 431 -> "headers-too-large";
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
      case 414 -> "the request URI is longer than this server accepts";
      case 415 -> "send the body as application/json";
      case 431 -> "the request headers are larger than this server accepts";
      default -> "the request cannot be served";
    };
  }
}
