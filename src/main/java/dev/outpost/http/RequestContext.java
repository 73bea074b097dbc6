package dev.outpost.http;

import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/** Per-request metadata shared by handlers: the request id and the caller's address. */
public final class RequestContext {

  public static final String REQUEST_ID_HEADER = "X-Request-Id";
  /** Context key under which the authentication handler records the signed-in user name, for logs. */
  public static final String USER_KEY = "outpost.user";
  private static final String KEY = "outpost.requestId";
  private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._-]{8,64}");

  private RequestContext() {
  }

  /** Adopts a well-formed incoming request id or makes a new one, and echoes it in the response. */
  public static void assignId(RoutingContext ctx) {
    String incoming = ctx.request().getHeader(REQUEST_ID_HEADER);
    String id = incoming != null && SAFE_ID.matcher(incoming).matches() ? incoming : newId();
    ctx.put(KEY, id);
    ctx.response().putHeader(REQUEST_ID_HEADER, id);
  }

  public static String requestId(RoutingContext ctx) {
    String id = ctx.get(KEY);
    return id == null ? "-" : id;
  }

  /** The caller's IP address (the TCP peer; no forwarding headers are trusted). */
  public static String clientAddress(RoutingContext ctx) {
    var remote = ctx.request().remoteAddress();
    return remote == null ? "unknown" : remote.hostAddress();
  }

  private static String newId() {
    return UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }
}
