package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import dev.outpost.admin.EnrollTokenAuthority;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.crypto.EnrollmentToken;
import dev.outpost.http.JsonBodies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@code /enroll-tokens}: one-time (or N-time) tokens with which session hosts enroll their agent. The token is
 * returned once, on create, with a ready-to-paste {@code outpost agent} command; only its hash is stored.
 * Tokens are revoked, never deleted, so that the audit trail of an enrollment stays readable.
 */
public final class EnrollTokenRoutes {

  public static final String COLLECTION = "enroll-tokens";
  private static final String TYPE = "enroll-token";
  private static final Schema CREATE = Schema.of(
      FieldSpec.text("pool", 1, 64).required(),
      FieldSpec.integer("uses", 1, 1_000).withDefault(1),
      FieldSpec.integer("ttlSeconds", 60, 2_592_000).withDefault(86_400));
  private static final String SELECT = "SELECT t.id, t.pool_id, p.name AS pool, t.uses_left, t.expires_at, "
      + "t.revoked, t.created_by, t.created_at, t.expires_at <= now() AS expired FROM enroll_tokens t "
      + "JOIN pools p ON p.id = t.pool_id";

  private final Database db;
  private final AuditLog audit;
  private final Function<RoutingContext, Actor> actors;
  private final EnrollTokenAuthority authority;
  private final String base;
  private final Supplier<String> nodeName;

  /**
   * @param nodeName the name agents on other machines reach this node by (its first public name, else its host
   *     name): the agent command names it when the admin reached the node on a loopback address
   */
  public EnrollTokenRoutes(Database db, AuditLog audit, Function<RoutingContext, Actor> actors,
      EnrollTokenAuthority authority, String mountPoint, Supplier<String> nodeName) {
    this.nodeName = Objects.requireNonNull(nodeName);
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.actors = Objects.requireNonNull(actors);
    this.authority = Objects.requireNonNull(authority);
    this.base = mountPoint + "/" + COLLECTION;
  }

  public void mount(Router router) {
    router.get("/" + COLLECTION).handler(this::list);
    router.post("/" + COLLECTION).handler(this::create);
    router.delete("/" + COLLECTION + "/:id").handler(this::revoke);
  }

  private void list(RoutingContext ctx) {
    db.pool().query(SELECT + " ORDER BY t.created_at DESC, t.id").execute()
        .map(rows -> Rows.all(rows, EnrollTokenRoutes::toJson))
        .onSuccess(items -> Responses.json(ctx, 200, new JsonObject().put("items", items)))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    JsonObject checked = CREATE.forCreate(JsonBodies.object(ctx));
    Actor actor = actors.apply(ctx);
    EnrollmentToken[] token = new EnrollmentToken[1];
    String[] applianceUrl = new String[1];
    db.transaction(conn -> IdOrName.resolve(conn, "pools", "name", "pool", checked.getString("pool"))
            .compose(poolId -> authority.fingerprint(conn, poolId).compose(fingerprint -> {
              token[0] = EnrollmentToken.create(EnrollmentToken.AGENT, fingerprint);
              return authority.applianceUrl(conn, poolId, ctx)
                  .compose(url -> {
                    applianceUrl[0] = outsideLoopback(url, nodeName.get());
                    return insert(conn, poolId, checked, token[0], actor);
                  });
            }))
            .compose(created -> audit.record(conn, actor, TYPE + ".create", TYPE, created.getString("id"),
                created.getString("pool"), checked).map(created)))
        .recover(SqlConflicts::generic)
        .onSuccess(created -> {
          String text = token[0].text();
          created.put("token", text).put("command", "outpost agent --appliance " + applianceUrl[0]
              + " --token " + text + " --address <HOST_IP>");
          ctx.response().putHeader("Location", base + "/" + created.getString("id"));
          Responses.json(ctx, 201, created);
        })
        .onFailure(ctx::fail);
  }

  private Future<JsonObject> insert(SqlConnection conn, UUID poolId, JsonObject checked, EnrollmentToken token,
      Actor actor) {
    UUID id = UUID.randomUUID();
    return conn.preparedQuery("INSERT INTO enroll_tokens(id, token_hash, pool_id, uses_left, expires_at, created_by) "
            + "VALUES ($1, $2, $3, $4, now() + $5::integer * interval '1 second', $6)")
        .execute(Tuple.of(id, token.secretHash(), poolId, checked.getInteger("uses"),
            checked.getInteger("ttlSeconds"), actor.username()))
        .compose(v -> find(conn, id));
  }

  private void revoke(RoutingContext ctx) {
    Actor actor = actors.apply(ctx);
    UUID id = IdOrName.asId(ctx.pathParam("id"));
    db.transaction(conn -> find(conn, id)
            .map(this::requireFound)
            .compose(current -> current.getBoolean("revoked") ? Future.succeededFuture()
                : conn.preparedQuery("UPDATE enroll_tokens SET revoked = true WHERE id = $1").execute(Tuple.of(id))
                    .compose(v -> audit.record(conn, actor, TYPE + ".revoke", TYPE, id.toString(),
                        current.getString("pool"), new JsonObject()))))
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private static Future<JsonObject> find(SqlClient sql, UUID id) {
    if (id == null) {
      return Future.succeededFuture();
    }
    return sql.preparedQuery(SELECT + " WHERE t.id = $1").execute(Tuple.of(id))
        .map(rows -> Rows.firstOrNull(rows, EnrollTokenRoutes::toJson));
  }

  private JsonObject requireFound(JsonObject token) {
    if (token == null) {
      throw ClientErrorException.notFound("no such enroll token; use its id as listed by GET " + base);
    }
    return token;
  }

  /** The URL the admin reached this node on, which is what the host's agent will most likely reach too. */
  public static String applianceUrl(RoutingContext ctx) {
    HostAndPort authority = ctx.request().authority();
    if (authority == null) {
      return "https://<APPLIANCE>:" + ctx.request().localAddress().port();
    }
    String host = authority.host();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    int port = authority.port() > 0 ? authority.port() : 443;
    return "https://" + host + ":" + port;
  }

  /**
   * An admin on the node's own machine reaches it on a loopback address, which the agent on a session host would
   * take for itself: the command names the node as other machines reach it instead, on the same port.
   */
  static String outsideLoopback(String url, String nodeName) {
    URI uri = URI.create(url);
    if (uri.getHost() == null || !loopback(uri.getHost())) {
      return url;
    }
    String host = nodeName.contains(":") && !nodeName.startsWith("[") ? "[" + nodeName + "]" : nodeName;
    return "https://" + host + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
  }

  private static boolean loopback(String host) {
    String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    return "localhost".equalsIgnoreCase(bare) || bare.toLowerCase(java.util.Locale.ROOT).endsWith(".localhost")
        || bare.startsWith("127.") || "::1".equals(bare) || "0:0:0:0:0:0:0:1".equals(bare);
  }

  private static JsonObject toJson(Row row) {
    boolean revoked = row.getBoolean("revoked");
    boolean expired = row.getBoolean("expired");
    int usesLeft = row.getInteger("uses_left");
    String state = revoked ? "revoked" : expired ? "expired" : usesLeft == 0 ? "used" : "active";
    return new JsonObject()
        .put("id", Rows.id(row, "id"))
        .put("pool", row.getString("pool"))
        .put("poolId", Rows.id(row, "pool_id"))
        .put("uses", usesLeft)
        .put("expiresAt", Rows.time(row, "expires_at"))
        .put("revoked", revoked)
        .put("state", state)
        .put("createdBy", row.getString("created_by"))
        .put("createdAt", Rows.time(row, "created_at"));
  }
}
