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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** Groups of local users, to entitle many users at once. {@code members} replaces the whole member list. */
public final class GroupStore implements EntityStore {

  /** Group names may hold spaces (directory groups often do), but not at either end. */
  public static final String NAME_PATTERN = "[A-Za-z0-9]([A-Za-z0-9 ._@-]{0,62}[A-Za-z0-9._@-])?";

  private static final Schema SCHEMA = Schema.of(
      FieldSpec.text("name", 1, 64).matching(NAME_PATTERN).required(),
      FieldSpec.text("description", 0, 1024).freeText().withDefault(""),
      FieldSpec.textList("members", 0, 10_000, 64).matching(UserStore.USERNAME_PATTERN).withDefault(new JsonArray()),
      FieldSpec.bool("secondFactorRequired").withDefault(false));
  private static final Map<String, String> COLUMNS = Map.of("name", "name", "description", "description",
      "secondFactorRequired", "mfa_required");
  private static final String SELECT = "SELECT g.id, g.name, g.description, g.mfa_required, g.created_at, "
      + "g.updated_at, "
      + "ARRAY(SELECT u.username FROM group_members m JOIN users u ON u.id = m.user_id "
      + "WHERE m.group_id = g.id ORDER BY lower(u.username)) AS member_names FROM groups g";

  @Override
  public String type() {
    return "group";
  }

  @Override
  public String collection() {
    return "groups";
  }

  @Override
  public Schema schema() {
    return SCHEMA;
  }

  @Override
  public Future<JsonArray> list(SqlClient sql, MultiMap query) {
    return sql.query(SELECT + " ORDER BY lower(g.name)").execute().map(rows -> Rows.all(rows, GroupStore::toJson));
  }

  @Override
  public Future<JsonObject> find(SqlClient sql, String key, boolean lock) {
    return sql.preparedQuery(SELECT + " WHERE " + IdOrName.condition("g", "name", 1) + " ORDER BY "
            + IdOrName.idFirst("g", 1) + " LIMIT 1" + (lock ? " FOR UPDATE OF g" : ""))
        .execute(Tuple.of(IdOrName.asId(key), key))
        .map(rows -> Rows.firstOrNull(rows, GroupStore::toJson));
  }

  @Override
  public Future<JsonObject> create(SqlConnection conn, JsonObject fields, Actor actor) {
    UUID id = UUID.randomUUID();
    String name = fields.getString("name");
    return conn.preparedQuery("INSERT INTO groups(id, name, description, mfa_required) VALUES ($1, $2, $3, $4)")
        .execute(Tuple.of(id, name, fields.getString("description"), fields.getBoolean("secondFactorRequired")))
        .recover(SqlConflicts.onUnique(() -> "a group named '" + name + "' already exists"))
        .compose(v -> replaceMembers(conn, id, fields.getJsonArray("members")))
        .compose(v -> find(conn, id.toString(), false));
  }

  @Override
  public Future<JsonObject> update(SqlConnection conn, JsonObject current, JsonObject changes, Actor actor,
      AfterCommit after) {
    UUID id = UUID.fromString(current.getString("id"));
    return ColumnUpdate.apply(conn, "groups", id, changes, COLUMNS)
        .recover(SqlConflicts.onUnique(() -> "a group named '" + changes.getString("name") + "' already exists"))
        .compose(v -> changes.containsKey("members") ? replaceMembers(conn, id, changes.getJsonArray("members"))
            : Future.succeededFuture())
        .compose(v -> find(conn, id.toString(), false));
  }

  @Override
  public Future<Void> delete(SqlConnection conn, JsonObject current, Actor actor, AfterCommit after) {
    return conn.preparedQuery("DELETE FROM groups WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(current.getString("id")))).mapEmpty();
  }

  /** Makes the members exactly these users; fails with 400 naming any user that does not exist. */
  private Future<Void> replaceMembers(SqlConnection conn, UUID groupId, JsonArray usernames) {
    String[] wanted = usernames.stream().map(name -> ((String) name).toLowerCase(Locale.ROOT))
        .toArray(String[]::new);
    return conn.preparedQuery("SELECT id, lower(username) AS name FROM users WHERE lower(username) = ANY($1)")
        .execute(Tuple.of((Object) wanted))
        .compose(rows -> {
          Map<String, UUID> found = new HashMap<>();
          rows.forEach(row -> found.put(row.getString("name"), row.getUUID("id")));
          List<String> unknown = new ArrayList<>();
          for (Object name : usernames) {
            if (!found.containsKey(((String) name).toLowerCase(Locale.ROOT))) {
              unknown.add((String) name);
            }
          }
          if (!unknown.isEmpty()) {
            return Future.failedFuture(ClientErrorException.validation("field 'members': unknown user(s) "
                + String.join(", ", unknown)));
          }
          return conn.preparedQuery("DELETE FROM group_members WHERE group_id = $1").execute(Tuple.of(groupId))
              .compose(v -> conn.preparedQuery("INSERT INTO group_members(group_id, user_id) "
                  + "SELECT $1, unnest($2::uuid[])")
                  .execute(Tuple.of(groupId, (Object) found.values().toArray(UUID[]::new))))
              .mapEmpty();
        });
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject()
        .put("id", Rows.id(row, "id"))
        .put("name", row.getString("name"))
        .put("description", row.getString("description"))
        .put("members", Rows.texts(row, "member_names"))
        .put("secondFactorRequired", row.getBoolean("mfa_required"))
        .put("createdAt", Rows.time(row, "created_at"))
        .put("updatedAt", Rows.time(row, "updated_at"));
  }
}
