package dev.outpost.admin.impl;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * Who may launch what: one resource for one user or one group. Entitlements have no fields of their own to
 * change, so there is no update: delete and create instead.
 */
public final class EntitlementStore implements EntityStore {

  private static final Schema SCHEMA = Schema.of(
      FieldSpec.text("resource", 1, 64).required(),
      FieldSpec.text("user", 1, 64),
      FieldSpec.text("group", 1, 64));
  private static final String SELECT = "SELECT e.id, e.resource_id, r.name AS resource_name, e.user_id, "
      + "u.username, e.group_id, g.name AS group_name, e.created_at FROM entitlements e "
      + "JOIN resources r ON r.id = e.resource_id LEFT JOIN users u ON u.id = e.user_id "
      + "LEFT JOIN groups g ON g.id = e.group_id";
  private static final String ORDER = " ORDER BY lower(r.name), lower(u.username) NULLS LAST, lower(g.name) NULLS LAST";

  @Override
  public String type() {
    return "entitlement";
  }

  @Override
  public String collection() {
    return "entitlements";
  }

  @Override
  public Schema schema() {
    return SCHEMA;
  }

  @Override
  public boolean updatable() {
    return false;
  }

  @Override
  public String keyParam() {
    return "id";
  }

  @Override
  public String nameOf(JsonObject entity) {
    return entity.getString("resource") + " -> " + (entity.getString("user") != null
        ? "user " + entity.getString("user") : "group " + entity.getString("group"));
  }

  /** Filters {@code resource} (id or name), {@code user} and {@code group} (names) combine with AND. */
  @Override
  public Future<JsonArray> list(SqlClient sql, MultiMap query) {
    return sql.preparedQuery(SELECT + " WHERE ($1::text IS NULL OR r.id::text = $1 OR lower(r.name) = lower($1)) "
            + "AND ($2::text IS NULL OR lower(u.username) = lower($2)) "
            + "AND ($3::text IS NULL OR lower(g.name) = lower($3))" + ORDER)
        .execute(Tuple.of(query.get("resource"), query.get("user"), query.get("group")))
        .map(rows -> Rows.all(rows, EntitlementStore::toJson));
  }

  @Override
  public Future<JsonObject> find(SqlClient sql, String key, boolean lock) {
    UUID id = IdOrName.asId(key);
    if (id == null) {
      return Future.succeededFuture(null);
    }
    return sql.preparedQuery(SELECT + " WHERE e.id = $1" + (lock ? " FOR UPDATE OF e" : ""))
        .execute(Tuple.of(id))
        .map(rows -> Rows.firstOrNull(rows, EntitlementStore::toJson));
  }

  /** Checks the one rule a field schema cannot express: exactly one of {@code user} and {@code group}. */
  @Override
  public Future<JsonObject> prepare(JsonObject checked) {
    if (checked.containsKey("user") == checked.containsKey("group")) {
      return Future.failedFuture(ClientErrorException.validation(
          "send exactly one of the fields 'user' (a username) and 'group' (a group name)"));
    }
    return Future.succeededFuture(checked);
  }

  @Override
  public Future<JsonObject> create(SqlConnection conn, JsonObject fields, Actor actor) {
    String user = fields.getString("user");
    String group = fields.getString("group");
    UUID id = UUID.randomUUID();
    String resource = fields.getString("resource");
    String who = user != null ? "user " + user : "group " + group;
    return IdOrName.resolve(conn, "resources", "name", "resource", resource)
        .compose(resourceId -> (user != null ? IdOrName.resolve(conn, "users", "username", "user", user)
            : IdOrName.resolve(conn, "groups", "name", "group", group))
            .compose(subjectId -> conn.preparedQuery("INSERT INTO entitlements(id, resource_id, user_id, group_id) "
                    + "VALUES ($1, $2, $3, $4)")
                .execute(Tuple.of(id, resourceId, user != null ? subjectId : null, group != null ? subjectId : null))))
        .recover(SqlConflicts.onUnique(() -> who + " is already entitled to resource " + resource))
        .compose(v -> find(conn, id.toString(), false));
  }

  @Override
  public Future<JsonObject> update(SqlConnection conn, JsonObject current, JsonObject changes, Actor actor) {
    return Future.failedFuture(new ClientErrorException(405, "method-not-allowed",
        "entitlements cannot be changed; delete and create instead"));
  }

  @Override
  public Future<Void> delete(SqlConnection conn, JsonObject current, Actor actor) {
    return conn.preparedQuery("DELETE FROM entitlements WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(current.getString("id")))).mapEmpty();
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject()
        .put("id", Rows.id(row, "id"))
        .put("resource", row.getString("resource_name"))
        .put("resourceId", Rows.id(row, "resource_id"))
        .put("user", row.getString("username"))
        .put("userId", Rows.id(row, "user_id"))
        .put("group", row.getString("group_name"))
        .put("groupId", Rows.id(row, "group_id"))
        .put("createdAt", Rows.time(row, "created_at"));
  }
}
