package dev.outpost.admin.impl;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The last route of an API router: answers 405 (with {@code Allow}) when the path exists under another
 * method and 404 otherwise, instead of letting the request fall through to the parent router's static files.
 */
public final class UnmatchedRoutes implements Handler<RoutingContext> {

  private static final Pattern PARAM = Pattern.compile(":[A-Za-z][A-Za-z0-9_]*");

  private final Router router;

  public UnmatchedRoutes(Router router) {
    this.router = Objects.requireNonNull(router);
  }

  @Override
  public void handle(RoutingContext ctx) {
    // The mount point ends with a slash ("/admin/api/v1/"); route paths start with one.
    String mount = ctx.mountPoint() == null ? "" : ctx.mountPoint().replaceAll("/+$", "");
    String full = ctx.normalizedPath();
    String path = full.startsWith(mount) ? full.substring(mount.length()) : full;
    Set<String> allowed = new TreeSet<>();
    for (Route route : router.getRoutes()) {
      if (route.getPath() != null && route.methods() != null && !route.methods().isEmpty()
          && matches(route.getPath(), path)) {
        route.methods().stream().map(HttpMethod::name).forEach(allowed::add);
      }
    }
    if (allowed.isEmpty()) {
      ctx.fail(ClientErrorException.notFound("no such admin API path: " + ctx.normalizedPath()
          + "; see " + mount + "/openapi.json"));
      return;
    }
    ctx.response().putHeader("Allow", String.join(", ", allowed));
    ctx.fail(new ClientErrorException(405, "method-not-allowed", ctx.request().method() + " is not allowed on "
        + ctx.normalizedPath() + "; use " + String.join(", ", allowed)));
  }

  private static boolean matches(String template, String path) {
    String[] parts = PARAM.split(template, -1);
    StringBuilder regex = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      regex.append(Pattern.quote(parts[i]));
      if (i < parts.length - 1) {
        regex.append("[^/]+");
      }
    }
    return path.matches(regex + "/?");
  }
}
