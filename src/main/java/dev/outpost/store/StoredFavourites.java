package dev.outpost.store;

import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * Users' favourite resources in the database where the site model is kept, so that they follow a user from device
 * to device. The hub role serves them to the appliances' stores as three operations, each answering the user's
 * favourites afterwards: {@code {items: [resourceId]}}, oldest first.
 *
 * <pre>
 * appliance -> hub   favourites.list   {userId}              -> {items}
 * appliance -> hub   favourites.add    {userId, resourceId}  -> {items}   (404 when the resource is gone)
 * appliance -> hub   favourites.remove {userId, resourceId}  -> {items}
 * </pre>
 */
public final class StoredFavourites {

  public static final String LIST = "favourites.list";
  public static final String ADD = "favourites.add";
  public static final String REMOVE = "favourites.remove";
  private static final String FOREIGN_KEY_VIOLATION = "23503";

  private final Database db;

  public StoredFavourites(Database db) {
    this.db = Objects.requireNonNull(db);
  }

  /** The handler of a favourites operation, or {@code null} for any other operation. */
  public Function<JsonObject, Future<JsonObject>> operation(String op) {
    return switch (op) {
      case LIST -> body -> guarded(body, b -> list(uuid(b, "userId")));
      case ADD -> body -> guarded(body, b -> add(uuid(b, "userId"), uuid(b, "resourceId")));
      case REMOVE -> body -> guarded(body, b -> remove(uuid(b, "userId"), uuid(b, "resourceId")));
      default -> null;
    };
  }

  Future<JsonObject> list(UUID user) {
    return db.pool().preparedQuery("SELECT resource_id FROM favourites WHERE user_id = $1 ORDER BY created_at, "
        + "resource_id").execute(Tuple.of(user)).map(rows -> {
          JsonArray items = new JsonArray();
          for (Row row : rows) {
            items.add(row.getUUID("resource_id").toString());
          }
          return new JsonObject().put("items", items);
        });
  }

  Future<JsonObject> add(UUID user, UUID resource) {
    return db.pool().preparedQuery("INSERT INTO favourites(user_id, resource_id) VALUES ($1, $2) "
        + "ON CONFLICT DO NOTHING").execute(Tuple.of(user, resource))
        .recover(e -> Future.failedFuture(e instanceof PgException pg
            && FOREIGN_KEY_VIOLATION.equals(pg.getSqlState())
            ? ClientErrorException.notFound("no resource " + resource) : e))
        .compose(v -> list(user));
  }

  Future<JsonObject> remove(UUID user, UUID resource) {
    return db.pool().preparedQuery("DELETE FROM favourites WHERE user_id = $1 AND resource_id = $2")
        .execute(Tuple.of(user, resource)).compose(v -> list(user));
  }

  private static Future<JsonObject> guarded(JsonObject body, Function<JsonObject, Future<JsonObject>> handler) {
    try {
      return handler.apply(body);
    } catch (ClientErrorException e) {
      return Future.failedFuture(e);
    }
  }

  private static UUID uuid(JsonObject body, String field) {
    try {
      return UUID.fromString(Objects.requireNonNull(body.getString(field)));
    } catch (IllegalArgumentException | NullPointerException | ClassCastException e) {
      throw ClientErrorException.validation("field '" + field + "' must be an id");
    }
  }
}
