package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import dev.outpost.error.ClientErrorException;
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

/** Pools of session hosts: the capacity unit resources are published from. */
public final class PoolStore implements EntityStore {

  /** Names of pools and resources: safe in URLs, launch files and shell commands. */
  public static final String NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

  private static final Schema SCHEMA = Schema.of(
      FieldSpec.text("name", 1, 64).matching(NAME_PATTERN).required(),
      FieldSpec.text("description", 0, 1024).freeText().withDefault(""),
      FieldSpec.integer("maxSessionsPerHost", 1, 10_000).required(),
      FieldSpec.text("location", 1, 63).matching("[a-z0-9][a-z0-9-]{0,62}").withDefault("default"),
      FieldSpec.bool("recordSessions").withDefault(false));
  private static final Map<String, String> COLUMNS = Map.of("name", "name", "description", "description",
      "maxSessionsPerHost", "max_sessions_per_host", "location", "location", "recordSessions", "record_sessions");
  private static final String SELECT = "SELECT p.id, p.name, p.description, p.max_sessions_per_host, p.location, "
      + "p.record_sessions, p.created_at, p.updated_at FROM pools p";

  @Override
  public String type() {
    return "pool";
  }

  @Override
  public String collection() {
    return "pools";
  }

  @Override
  public Schema schema() {
    return SCHEMA;
  }

  @Override
  public Future<JsonArray> list(SqlClient sql, MultiMap query) {
    return sql.query(SELECT + " ORDER BY lower(p.name)").execute().map(rows -> Rows.all(rows, PoolStore::toJson));
  }

  @Override
  public Future<JsonObject> find(SqlClient sql, String key, boolean lock) {
    return sql.preparedQuery(SELECT + " WHERE " + IdOrName.condition("p", "name", 1) + " ORDER BY "
            + IdOrName.idFirst("p", 1) + " LIMIT 1" + (lock ? " FOR UPDATE" : ""))
        .execute(Tuple.of(IdOrName.asId(key), key))
        .map(rows -> Rows.firstOrNull(rows, PoolStore::toJson));
  }

  @Override
  public Future<JsonObject> create(SqlConnection conn, JsonObject fields, Actor actor) {
    UUID id = UUID.randomUUID();
    String name = fields.getString("name");
    return conn.preparedQuery("INSERT INTO pools(id, name, description, max_sessions_per_host, location, "
            + "record_sessions) VALUES ($1, $2, $3, $4, $5, $6)")
        .execute(Tuple.of(id, name, fields.getString("description"), fields.getInteger("maxSessionsPerHost"),
            fields.getString("location"), fields.getBoolean("recordSessions")))
        .recover(SqlConflicts.onUnique(() -> "a pool named '" + name + "' already exists"))
        .recover(unknownLocation(fields.getString("location")))
        .compose(v -> find(conn, id.toString(), false));
  }

  @Override
  public Future<JsonObject> update(SqlConnection conn, JsonObject current, JsonObject changes, Actor actor,
      AfterCommit after) {
    String id = current.getString("id");
    return ColumnUpdate.apply(conn, "pools", UUID.fromString(id), changes, COLUMNS)
        .recover(SqlConflicts.onUnique(() -> "a pool named '" + changes.getString("name") + "' already exists"))
        .recover(unknownLocation(changes.getString("location")))
        .compose(v -> find(conn, id, false));
  }

  @Override
  public Future<Void> delete(SqlConnection conn, JsonObject current, Actor actor, AfterCommit after) {
    UUID id = UUID.fromString(current.getString("id"));
    return conn.preparedQuery("SELECT count(*) FROM resources WHERE pool_id = $1").execute(Tuple.of(id))
        .compose(rows -> {
          long resources = rows.iterator().next().getLong(0);
          if (resources > 0) {
            return Future.failedFuture(ClientErrorException.conflict("pool " + current.getString("name")
                + " still has " + resources + " resource(s); delete or move them first"));
          }
          return conn.preparedQuery("DELETE FROM pools WHERE id = $1").execute(Tuple.of(id)).mapEmpty();
        });
  }

  private static <T> java.util.function.Function<Throwable, Future<T>> unknownLocation(String location) {
    return e -> e instanceof io.vertx.pgclient.PgException pg && "23503".equals(pg.getSqlState())
        ? Future.failedFuture(ClientErrorException.validation("no resource location named '" + location
            + "'; create it first (POST /admin/api/v1/locations on the hub)"))
        : Future.failedFuture(e);
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject()
        .put("id", Rows.id(row, "id"))
        .put("name", row.getString("name"))
        .put("description", row.getString("description"))
        .put("maxSessionsPerHost", row.getInteger("max_sessions_per_host"))
        .put("location", row.getString("location"))
        .put("recordSessions", row.getBoolean("record_sessions"))
        .put("createdAt", Rows.time(row, "created_at"))
        .put("updatedAt", Rows.time(row, "updated_at"));
  }
}
