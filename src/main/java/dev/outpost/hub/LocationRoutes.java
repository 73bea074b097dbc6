package dev.outpost.hub;

import dev.outpost.admin.AdminExtension;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The hub's admin routes for resource locations ({@code /admin/api/v1/locations}): create one with a
 * connector token, list them, issue a new token. Mounted behind the admin role check.
 */
public final class LocationRoutes implements AdminExtension {

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
  private static final Set<String> FIELDS = Set.of("name", "tokenUses", "tokenTtlSeconds");

  private final Database db;
  private final Locations locations;
  private Auditor auditor;

  public LocationRoutes(Database db, Locations locations) {
    this.db = Objects.requireNonNull(db);
    this.locations = Objects.requireNonNull(locations);
  }

  @Override
  public void mount(Router api, Auditor auditor) {
    this.auditor = auditor;
    api.get("/locations").handler(ctx -> locations.list()
        .onSuccess(items -> json(ctx, 200, new JsonObject().put("items", items)))
        .onFailure(ctx::fail));
    api.post("/locations").handler(this::create);
    api.post("/locations/:name/tokens").handler(this::newToken);
  }

  private void create(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    body.fieldNames().stream().filter(f -> !FIELDS.contains(f)).findFirst().ifPresent(f -> {
      throw ClientErrorException.validation("unknown field '" + f + "'; allowed: name, tokenUses, tokenTtlSeconds");
    });
    if (!(body.getValue("name") instanceof String name) || !NAME.matcher(name).matches()) {
      throw ClientErrorException.validation("field 'name' is required: lower-case letters, digits and '-', at most 63");
    }
    int uses = intField(body, "tokenUses", 10, 1, 1000);
    int ttl = intField(body, "tokenTtlSeconds", 7 * 86_400, 60, 30 * 86_400);
    String actor = dev.outpost.identity.AuthHandler.principal(ctx).username();
    db.transaction(conn -> locations.create(conn, name, actor, uses, Duration.ofSeconds(ttl))
            .compose(created -> auditor.record(ctx, conn, "location.create", "location", created.getString("id"), name,
                new JsonObject().put("tokenUses", uses).put("tokenTtlSeconds", ttl)).map(created)))
        .onSuccess(created -> json(ctx, 201, withCommand(ctx, created)))
        .onFailure(ctx::fail);
  }

  private void newToken(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    JsonObject body = ctx.body() == null || ctx.body().length() <= 0 ? new JsonObject() : JsonBodies.object(ctx);
    int uses = intField(body, "tokenUses", 10, 1, 1000);
    int ttl = intField(body, "tokenTtlSeconds", 7 * 86_400, 60, 30 * 86_400);
    db.transaction(conn -> conn.preparedQuery("SELECT id FROM locations WHERE name = $1").execute(Tuple.of(name))
            .compose(rows -> rows.size() == 0
                ? Future.failedFuture(ClientErrorException.notFound("no resource location named '" + name + "'"))
                : locations.newToken(conn, rows.iterator().next().getUUID(0), uses, Duration.ofSeconds(ttl))
                    .compose(token -> auditor.record(ctx, conn, "location.token", "location",
                        rows.iterator().next().getUUID(0).toString(), name, new JsonObject().put("tokenUses", uses)
                            .put("tokenTtlSeconds", ttl)).map(token))))
        .onSuccess(token -> json(ctx, 201, withCommand(ctx, token.put("name", name))))
        .onFailure(ctx::fail);
  }

  /** The ready-to-paste command, addressed by the name the admin used to reach this hub. */
  private static JsonObject withCommand(RoutingContext ctx, JsonObject created) {
    var authority = ctx.request().authority();
    String hub = "https://" + (authority == null ? "HUB_HOST:9443" : authority.toString());
    return created.put("command", "outpost appliance --hub " + hub + " --hub-token "
        + created.getString("connectorToken"));
  }

  private static int intField(JsonObject body, String field, int def, int min, int max) {
    Object value = body.getValue(field);
    if (value == null) {
      return def;
    }
    if (!(value instanceof Integer i) || i < min || i > max) {
      throw ClientErrorException.validation("field '" + field + "' must be a whole number from " + min + " to " + max);
    }
    return i;
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(body.encode());
  }
}
