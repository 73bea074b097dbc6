package dev.outpost.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The static web store ({@code /}) and admin console ({@code /admin/}) from {@code webroot/}. Every file is
 * answered with {@code Cache-Control: no-cache}: browsers revalidate (a cheap 304) so that an upgraded appliance
 * never mixes old and new modules, and the service worker script is never served stale. The console's
 * client-side routes ({@code /admin/pools}, ...) get the console's page; {@code /admin/api/} never does.
 */
public final class Webroot {

  /** Where the files live: a {@code webroot/} directory beside the process, else the jar's copy. */
  public static final String ROOT = "webroot";
  static final String CONSOLE = "/admin/";
  static final String CONSOLE_PAGE = ROOT + "/admin/index.html";
  private static final String API_PREFIX = "/admin/api/";

  private Webroot() {
  }

  /** Mounts the static files after every API, for GET and HEAD. */
  public static void mount(Router router) {
    router.route("/*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(Webroot::revalidate)
        .handler(StaticHandler.create(ROOT).setCachingEnabled(true).setDirectoryListing(false)
            .setIncludeHidden(false));
    router.route("/admin").method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(ctx -> ctx.redirect(CONSOLE));
    router.route(CONSOLE + "*").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(Webroot::consolePage);
  }

  private static void revalidate(RoutingContext ctx) {
    ctx.response().headers().set("Cache-Control", "no-cache");
    ctx.next();
  }

  /** A console route that is no file: the console's page, which renders the route itself. */
  private static void consolePage(RoutingContext ctx) {
    String path = ctx.normalizedPath();
    if (path.startsWith(API_PREFIX) || path.substring(CONSOLE.length()).contains(".")) {
      ctx.next(); // an API path or a missing file: 404 problem
      return;
    }
    ctx.response().putHeader("Content-Type", "text/html; charset=utf-8").sendFile(CONSOLE_PAGE)
        .onFailure(ctx::fail);
  }
}
