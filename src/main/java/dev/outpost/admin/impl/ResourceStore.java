package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Map;
import java.util.UUID;

/** Published apps and desktops: a port on the hosts of one pool. */
public final class ResourceStore implements EntityStore {

  /** A host account name as sshd takes it, or empty (no host login: users give their own). */
  private static final String HOST_LOGIN = "^$|^[A-Za-z0-9._][A-Za-z0-9._@-]{0,63}$";

  private static final Schema SCHEMA = Schema.of(
      FieldSpec.text("name", 1, 64).matching(PoolStore.NAME_PATTERN).required(),
      FieldSpec.text("displayName", 0, 128).withDefault(""),
      FieldSpec.text("pool", 1, 64).required(),
      FieldSpec.text("kind", 1, 16).oneOf("desktop", "app").required(),
      FieldSpec.integer("port", 1, 65_535).required(),
      FieldSpec.text("launchHint", 0, 256).withDefault(""),
      FieldSpec.text("hostLogin", 0, 64).matching(HOST_LOGIN).withDefault(""),
      FieldSpec.text("category", 0, 64).withDefault(""));
  /** Written columns; {@code pool} is resolved to {@code poolId} first. */
  private static final Map<String, String> COLUMNS = Map.of("name", "name", "displayName", "display_name",
      "poolId", "pool_id", "kind", "kind", "port", "port", "launchHint", "launch_hint", "hostLogin", "host_login",
      "category", "category");
  private static final String SELECT = "SELECT r.id, r.name, r.display_name, r.pool_id, p.name AS pool_name, r.kind, "
      + "r.port, r.launch_hint, r.host_login, r.category, r.created_at, r.updated_at "
      + "FROM resources r JOIN pools p ON p.id = r.pool_id";

  @Override
  public String type() {
    return "resource";
  }

  @Override
  public String collection() {
    return "resources";
  }

  @Override
  public Schema schema() {
    return SCHEMA;
  }

  @Override
  public Future<JsonArray> list(SqlClient sql, MultiMap query) {
    return sql.query(SELECT + " ORDER BY lower(r.name)").execute()
        .map(rows -> Rows.all(rows, ResourceStore::toJson));
  }

  @Override
  public Future<JsonObject> find(SqlClient sql, String key, boolean lock) {
    return sql.preparedQuery(SELECT + " WHERE " + IdOrName.condition("r", "name", 1) + " ORDER BY "
            + IdOrName.idFirst("r", 1) + " LIMIT 1" + (lock ? " FOR UPDATE OF r" : ""))
        .execute(Tuple.of(IdOrName.asId(key), key))
        .map(rows -> Rows.firstOrNull(rows, ResourceStore::toJson));
  }

  @Override
  public Future<JsonObject> create(SqlConnection conn, JsonObject fields, Actor actor) {
    UUID id = UUID.randomUUID();
    String name = fields.getString("name");
    return IdOrName.resolve(conn, "pools", "name", "pool", fields.getString("pool"))
        .compose(poolId -> conn.preparedQuery("INSERT INTO resources(id, name, display_name, pool_id, kind, port, "
                + "launch_hint, host_login, category) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .execute(Tuple.of(id, name, fields.getString("displayName"), poolId, fields.getString("kind"),
                fields.getInteger("port"), fields.getString("launchHint"), fields.getString("hostLogin"),
                fields.getString("category"))))
        .recover(SqlConflicts.onUnique(() -> "a resource named '" + name + "' already exists"))
        .compose(v -> find(conn, id.toString(), false));
  }

  @Override
  public Future<JsonObject> update(SqlConnection conn, JsonObject current, JsonObject changes, Actor actor,
      AfterCommit after) {
    String id = current.getString("id");
    Future<JsonObject> columns = changes.containsKey("pool")
        ? IdOrName.resolve(conn, "pools", "name", "pool", changes.getString("pool"))
            .map(poolId -> changes.copy().put("poolId", poolId))
        : Future.succeededFuture(changes);
    return columns
        .compose(values -> ColumnUpdate.apply(conn, "resources", UUID.fromString(id), values, COLUMNS))
        .recover(SqlConflicts.onUnique(() -> "a resource named '" + changes.getString("name") + "' already exists"))
        .compose(v -> find(conn, id, false));
  }

  @Override
  public Future<Void> delete(SqlConnection conn, JsonObject current, Actor actor, AfterCommit after) {
    return conn.preparedQuery("DELETE FROM resources WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(current.getString("id")))).mapEmpty();
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject()
        .put("id", Rows.id(row, "id"))
        .put("name", row.getString("name"))
        .put("displayName", row.getString("display_name"))
        .put("pool", row.getString("pool_name"))
        .put("poolId", Rows.id(row, "pool_id"))
        .put("kind", row.getString("kind"))
        .put("port", row.getInteger("port"))
        .put("launchHint", row.getString("launch_hint"))
        .put("hostLogin", row.getString("host_login"))
        .put("category", row.getString("category"))
        .put("createdAt", Rows.time(row, "created_at"))
        .put("updatedAt", Rows.time(row, "updated_at"));
  }
}
