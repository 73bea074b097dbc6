package dev.outpost.admin.impl;

import dev.outpost.admin.AccessWithdrawal;
import dev.outpost.admin.Actor;
import dev.outpost.crypto.PasswordHasher;
import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.Role;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Local accounts. Passwords are hashed (argon2id, on a worker) before the transaction opens and are never
 * returned. The site always keeps one enabled admin, and an admin cannot delete their own account. A change that
 * takes access away (disabled, new password, a role removed, deleted) goes through an {@link AccessWithdrawal}:
 * the account's connection leases are revoked and its sign-in sessions end, on every node.
 */
public final class UserStore implements EntityStore {

  public static final String USERNAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9._@-]{0,63}";
  private static final String ADMIN = Role.ADMIN.wireName();
  /** Serialises changes that could remove the last enabled admin (an advisory lock scoped to the transaction). */
  private static final long ADMIN_GUARD_LOCK = 0x6f7574706f737401L;

  private static final Schema SCHEMA = Schema.of(
      FieldSpec.text("username", 1, 64).matching(USERNAME_PATTERN).required(),
      FieldSpec.text("displayName", 0, 128).withDefault(""),
      FieldSpec.text("password", 12, 256).secret(),
      FieldSpec.textList("roles", 1, 3, 32).oneOf(Arrays.stream(Role.values()).map(Role::wireName)
          .toArray(String[]::new)).withDefault(new JsonArray().add(Role.USER.wireName())),
      FieldSpec.bool("disabled").withDefault(false),
      FieldSpec.bool("serviceAccount").withDefault(false));
  /** Written columns; {@code password} becomes {@code passwordHash} in {@link #prepare}. */
  private static final Map<String, String> COLUMNS = Map.of("username", "username", "displayName", "display_name",
      "passwordHash", "password_hash", "roles", "roles", "disabled", "disabled");
  private static final String SELECT = "SELECT u.id, u.username, u.display_name, u.roles, u.disabled, "
      + "u.service_account, u.created_at, u.updated_at, ARRAY(SELECT g.name FROM group_members m JOIN groups g "
      + "ON g.id = m.group_id WHERE m.user_id = u.id ORDER BY lower(g.name)) AS group_names, EXISTS (SELECT 1 FROM "
      + "user_factors f WHERE f.user_id = u.id AND f.factor_id IS NOT NULL) AS has_second_factor FROM users u";

  /** Why access was withdrawn, as users and the audit log read it. */
  public static final String DISABLED = "account disabled";
  public static final String PASSWORD_CHANGED = "password changed";
  public static final String ROLE_REMOVED = "role removed";
  public static final String DELETED = "account deleted";

  private final Vertx vertx;
  private final PasswordHasher hasher;
  private final AccessWithdrawal withdrawal;

  /**
   * @param withdrawal what ends a user's access besides the account change (leases, sessions), on every node
   */
  public UserStore(Vertx vertx, PasswordHasher hasher, AccessWithdrawal withdrawal) {
    this.vertx = Objects.requireNonNull(vertx);
    this.hasher = Objects.requireNonNull(hasher);
    this.withdrawal = Objects.requireNonNull(withdrawal);
  }

  @Override
  public String type() {
    return "user";
  }

  @Override
  public String collection() {
    return "users";
  }

  @Override
  public Schema schema() {
    return SCHEMA;
  }

  @Override
  public String nameOf(JsonObject entity) {
    return entity.getString("username");
  }

  @Override
  public Future<JsonArray> list(SqlClient sql, MultiMap query) {
    return sql.query(SELECT + " ORDER BY lower(u.username)").execute().map(rows -> Rows.all(rows, UserStore::toJson));
  }

  @Override
  public Future<JsonObject> find(SqlClient sql, String key, boolean lock) {
    return sql.preparedQuery(SELECT + " WHERE " + IdOrName.condition("u", "username", 1) + " ORDER BY "
            + IdOrName.idFirst("u", 1) + " LIMIT 1" + (lock ? " FOR UPDATE OF u" : ""))
        .execute(Tuple.of(IdOrName.asId(key), key))
        .map(rows -> Rows.firstOrNull(rows, UserStore::toJson));
  }

  /** Replaces {@code password} by its hash, computed on a worker thread. */
  @Override
  public Future<JsonObject> prepare(JsonObject checked) {
    if (!checked.containsKey("password")) {
      return Future.succeededFuture(checked);
    }
    String password = checked.getString("password");
    return vertx.executeBlocking(() -> hasher.hash(password), false).map(hash -> {
      JsonObject prepared = checked.copy();
      prepared.remove("password");
      return prepared.put("passwordHash", hash);
    });
  }

  @Override
  public Future<JsonObject> create(SqlConnection conn, JsonObject fields, Actor actor) {
    UUID id = UUID.randomUUID();
    String username = fields.getString("username");
    boolean service = fields.getBoolean("serviceAccount", false);
    if (service && fields.containsKey("passwordHash")) {
      return Future.failedFuture(ClientErrorException.validation("a service account has no password: it never "
          + "signs in, it owns API tokens (POST /admin/api/v1/api-tokens with \"owner\")"));
    }
    return conn.preparedQuery("INSERT INTO users(id, username, display_name, password_hash, roles, disabled, "
            + "service_account) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .execute(Tuple.of(id, username, fields.getString("displayName"), fields.getString("passwordHash"),
            ColumnUpdate.sqlValue(fields.getJsonArray("roles")), fields.getBoolean("disabled"), service))
        .recover(SqlConflicts.onUnique(() -> "a user named '" + username + "' already exists"))
        .compose(v -> find(conn, id.toString(), false));
  }

  @Override
  public Future<JsonObject> update(SqlConnection conn, JsonObject current, JsonObject changes, Actor actor,
      AfterCommit after) {
    String id = current.getString("id");
    if (changes.containsKey("serviceAccount")
        && !changes.getBoolean("serviceAccount").equals(current.getBoolean("serviceAccount"))) {
      return Future.failedFuture(ClientErrorException.validation("field 'serviceAccount' is chosen when the account "
          + "is created; create another account instead"));
    }
    if (current.getBoolean("serviceAccount") && changes.containsKey("passwordHash")) {
      return Future.failedFuture(ClientErrorException.validation("a service account has no password: it never "
          + "signs in"));
    }
    boolean staysAdmin = changes.getJsonArray("roles", current.getJsonArray("roles")).contains(ADMIN)
        && !changes.getBoolean("disabled", current.getBoolean("disabled"));
    Future<Void> guard = isEnabledAdmin(current) && !staysAdmin
        ? requireAnotherEnabledAdmin(conn, current, "disable it or remove its admin role")
        : Future.succeededFuture();
    String reason = withdrawnBy(current, changes);
    return guard
        .compose(v -> ColumnUpdate.apply(conn, "users", UUID.fromString(id), changes, COLUMNS))
        .recover(SqlConflicts.onUnique(() -> "a user named '" + changes.getString("username") + "' already exists"))
        .compose(v -> find(conn, id, false))
        .compose(updated -> reason.isEmpty() ? Future.succeededFuture(updated)
            : withdraw(conn, actor, updated, reason, after).map(updated));
  }

  @Override
  public Future<Void> delete(SqlConnection conn, JsonObject current, Actor actor, AfterCommit after) {
    if (current.getString("id").equals(actor.userId())) {
      return Future.failedFuture(ClientErrorException.conflict("you cannot delete your own account ("
          + current.getString("username") + "); sign in as another admin to do it"));
    }
    Future<Void> guard = isEnabledAdmin(current) ? requireAnotherEnabledAdmin(conn, current, "delete it")
        : Future.succeededFuture();
    return guard.compose(v -> conn.preparedQuery("DELETE FROM users WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(current.getString("id")))))
        .compose(v -> ApiTokenRoutes.deleteOwnedBy(conn, current.getString("id")))
        .compose(v -> withdraw(conn, actor, current, DELETED, after));
  }

  /** Keeps the withdrawal in the transaction; its effects (other nodes) wait for the commit. */
  private Future<Void> withdraw(SqlConnection conn, Actor actor, JsonObject user, String reason, AfterCommit after) {
    return withdrawal.withdraw(conn, actor, user.getString("id"), user.getString("username"), reason)
        .map(effect -> {
          after.add(effect::apply);
          return null;
        });
  }

  /**
   * Why the change takes access away — the account was disabled, got a new password or lost a role — or an empty
   * string when it does not (a save that changes nothing, or only the display name, ends nothing).
   */
  static String withdrawnBy(JsonObject current, JsonObject changes) {
    List<String> reasons = new ArrayList<>();
    if (changes.getBoolean("disabled", false) && !current.getBoolean("disabled")) {
      reasons.add(DISABLED);
    }
    if (changes.containsKey("passwordHash")) {
      reasons.add(PASSWORD_CHANGED);
    }
    JsonArray newRoles = changes.getJsonArray("roles");
    if (newRoles != null) {
      List<String> lost = current.getJsonArray("roles").stream().map(String::valueOf)
          .filter(r -> !newRoles.contains(r)).sorted().toList();
      if (!lost.isEmpty()) {
        reasons.add(ROLE_REMOVED + ": " + String.join(", ", lost));
      }
    }
    return String.join(", ", reasons);
  }

  private static boolean isEnabledAdmin(JsonObject user) {
    return user.getJsonArray("roles").contains(ADMIN) && !user.getBoolean("disabled");
  }

  /**
   * Fails with 409 unless an enabled admin other than {@code user} exists. The advisory lock makes two
   * concurrent demotions of the last two admins run one after the other, so the second one sees the first.
   */
  private Future<Void> requireAnotherEnabledAdmin(SqlConnection conn, JsonObject user, String change) {
    return conn.preparedQuery("SELECT count(*) FROM (SELECT pg_advisory_xact_lock($1)) AS locked")
        .execute(Tuple.of(ADMIN_GUARD_LOCK))
        .compose(v -> conn.preparedQuery("SELECT count(*) FROM users WHERE $1 = ANY(roles) AND NOT disabled "
            + "AND id <> $2").execute(Tuple.of(ADMIN, UUID.fromString(user.getString("id")))))
        .compose(rows -> rows.iterator().next().getLong(0) > 0 ? Future.<Void>succeededFuture()
            : Future.failedFuture(ClientErrorException.conflict("user " + user.getString("username")
                + " is the last enabled admin; make another account an enabled admin before you " + change)));
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject()
        .put("id", Rows.id(row, "id"))
        .put("username", row.getString("username"))
        .put("displayName", row.getString("display_name"))
        .put("roles", Rows.texts(row, "roles"))
        .put("disabled", row.getBoolean("disabled"))
        .put("serviceAccount", row.getBoolean("service_account"))
        .put("secondFactor", row.getBoolean("has_second_factor"))
        .put("groups", Rows.texts(row, "group_names"))
        .put("createdAt", Rows.time(row, "created_at"))
        .put("updatedAt", Rows.time(row, "updated_at"));
  }
}
