package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.directory.DirectoryNames;
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
 * Who may launch what: one resource for one local user, one local group, or one directory group (named by its
 * DN, stored normalised; its members are whoever the directory says at sign-in, nested groups included).
 * Entitlements have no fields of their own to change, so there is no update: delete and create instead.
 */
public final class EntitlementStore implements EntityStore {

  private static final Schema SCHEMA = Schema.of(
      FieldSpec.text("resource", 1, 64).required(),
      FieldSpec.text("user", 1, 64),
      FieldSpec.text("group", 1, 64),
      FieldSpec.text("directoryGroup", 1, 1024));
  private static final String SELECT = "SELECT e.id, e.resource_id, r.name AS resource_name, e.user_id, "
      + "u.username, e.group_id, g.name AS group_name, e.directory_group, e.created_at FROM entitlements e "
      + "JOIN resources r ON r.id = e.resource_id LEFT JOIN users u ON u.id = e.user_id "
      + "LEFT JOIN groups g ON g.id = e.group_id";
  private static final String ORDER = " ORDER BY lower(r.name), lower(u.username) NULLS LAST, "
      + "lower(g.name) NULLS LAST, e.directory_group NULLS LAST";

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
    return entity.getString("resource") + " -> " + subject(entity.getString("user"), entity.getString("group"),
        entity.getString("directoryGroup"));
  }

  private static String subject(String user, String group, String directoryGroup) {
    return user != null ? "user " + user : group != null ? "group " + group : "directory group " + directoryGroup;
  }

  /**
   * Filters {@code resource} (id or name), {@code user} and {@code group} (names) and {@code directoryGroup}
   * (a DN) combine with AND.
   */
  @Override
  public Future<JsonArray> list(SqlClient sql, MultiMap query) {
    String directoryGroup = query.get("directoryGroup");
    if (directoryGroup != null) {
      directoryGroup = canonical(directoryGroup);
    }
    return sql.preparedQuery(SELECT + " WHERE ($1::text IS NULL OR r.id::text = $1 OR lower(r.name) = lower($1)) "
            + "AND ($2::text IS NULL OR lower(u.username) = lower($2)) "
            + "AND ($3::text IS NULL OR lower(g.name) = lower($3)) "
            + "AND ($4::text IS NULL OR e.directory_group = $4)" + ORDER)
        .execute(Tuple.of(query.get("resource"), query.get("user"), query.get("group"), directoryGroup))
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

  /**
   * Checks the rules a field schema cannot express: exactly one of {@code user}, {@code group} and
   * {@code directoryGroup}, which must be a DN (stored normalised).
   */
  @Override
  public Future<JsonObject> prepare(JsonObject checked) {
    long subjects = java.util.stream.Stream.of("user", "group", "directoryGroup").filter(checked::containsKey).count();
    if (subjects != 1) {
      return Future.failedFuture(ClientErrorException.validation("send exactly one of the fields 'user' (a "
          + "username), 'group' (a group name) and 'directoryGroup' (a directory group's DN)"));
    }
    if (checked.containsKey("directoryGroup")) {
      try {
        return Future.succeededFuture(
            checked.copy().put("directoryGroup", canonical(checked.getString("directoryGroup"))));
      } catch (ClientErrorException e) {
        return Future.failedFuture(e);
      }
    }
    return Future.succeededFuture(checked);
  }

  private static String canonical(String dn) {
    try {
      return DirectoryNames.canonicalDn(dn);
    } catch (IllegalArgumentException e) {
      throw ClientErrorException.validation("field 'directoryGroup' must be a group's DN, e.g. "
          + "cn=staff,ou=groups,dc=example,dc=org (as GET /directories/{id}/groups lists them)");
    }
  }

  @Override
  public Future<JsonObject> create(SqlConnection conn, JsonObject fields, Actor actor) {
    String user = fields.getString("user");
    String group = fields.getString("group");
    String directoryGroup = fields.getString("directoryGroup");
    UUID id = UUID.randomUUID();
    String resource = fields.getString("resource");
    String who = subject(user, group, directoryGroup);
    return IdOrName.resolve(conn, "resources", "name", "resource", resource)
        .compose(resourceId -> (user != null ? IdOrName.resolve(conn, "users", "username", "user", user)
            : group != null ? IdOrName.resolve(conn, "groups", "name", "group", group)
            : Future.<UUID>succeededFuture(null))
            .compose(subjectId -> conn.preparedQuery("INSERT INTO entitlements(id, resource_id, user_id, group_id, "
                    + "directory_group) VALUES ($1, $2, $3, $4, $5)")
                .execute(Tuple.of(id, resourceId, user != null ? subjectId : null, group != null ? subjectId : null,
                    directoryGroup))))
        .recover(SqlConflicts.onUnique(() -> who + " is already entitled to resource " + resource))
        .compose(v -> find(conn, id.toString(), false));
  }

  @Override
  public Future<JsonObject> update(SqlConnection conn, JsonObject current, JsonObject changes, Actor actor,
      AfterCommit after) {
    return Future.failedFuture(new ClientErrorException(405, "method-not-allowed",
        "entitlements cannot be changed; delete and create instead"));
  }

  @Override
  public Future<Void> delete(SqlConnection conn, JsonObject current, Actor actor, AfterCommit after) {
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
        .put("directoryGroup", row.getString("directory_group"))
        .put("createdAt", Rows.time(row, "created_at"));
  }
}
