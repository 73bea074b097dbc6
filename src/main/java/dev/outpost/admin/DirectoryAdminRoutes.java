package dev.outpost.admin;

import dev.outpost.admin.impl.Responses;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.directory.DirectoryProbe;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /directories/{idOrName}/test} (bind, find a user, their groups, optionally their password) and
 * {@code GET /directories/{idOrName}/groups?q=} (for entitlement pickers). The work runs on an appliance of
 * the directory's location.
 */
final class DirectoryAdminRoutes {

  private static final Logger LOG = LoggerFactory.getLogger(DirectoryAdminRoutes.class);
  private static final Set<String> TEST_FIELDS = Set.of("username", "password");

  private final DirectoryProbe probe;

  DirectoryAdminRoutes(DirectoryProbe probe) {
    this.probe = Objects.requireNonNull(probe);
  }

  void mount(Router api) {
    api.post("/directories/:idOrName/test").handler(this::test);
    api.get("/directories/:idOrName/groups").handler(this::groups);
  }

  private void test(RoutingContext ctx) {
    JsonObject body = ctx.body() == null || ctx.body().length() <= 0 ? new JsonObject() : JsonBodies.object(ctx);
    body.fieldNames().stream().filter(f -> !TEST_FIELDS.contains(f)).findFirst().ifPresent(f -> {
      throw ClientErrorException.validation("unknown field '" + f + "'; allowed: username, password");
    });
    String username = text(body, "username");
    String password = text(body, "password");
    LOG.atInfo().addKeyValue("directory", ctx.pathParam("idOrName")).addKeyValue("user", username)
        .addKeyValue("by", AuthHandler.principal(ctx).username()).log("Directory test");
    probe.test(ctx.pathParam("idOrName"), username, password)
        .onSuccess(result -> Responses.json(ctx, 200, result))
        .onFailure(ctx::fail);
  }

  private void groups(RoutingContext ctx) {
    String query = ctx.queryParams().get("q");
    if (query != null && query.length() > 256) {
      throw ClientErrorException.validation("query parameter 'q' must be at most 256 characters");
    }
    probe.groups(ctx.pathParam("idOrName"), query == null ? "" : query)
        .onSuccess(items -> Responses.json(ctx, 200, new JsonObject().put("items", items)))
        .onFailure(ctx::fail);
  }

  private static String text(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String text) || text.length() > 256 || text.indexOf('\0') >= 0) {
      throw ClientErrorException.validation("field '" + field + "' must be a string of at most 256 characters "
          + "without NUL bytes");
    }
    return text;
  }
}
