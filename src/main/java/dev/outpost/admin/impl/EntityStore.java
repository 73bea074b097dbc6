package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;

/**
 * The SQL of one kind of site-model entity, in the shape {@link CrudRoutes} serves. Entities travel as their
 * API representation (a {@link JsonObject} with at least {@code id}); writes run on the connection of a
 * transaction that {@link CrudRoutes} opens and that also writes the audit row.
 */
public interface EntityStore {

  /** Singular name for audit actions and messages, e.g. {@code pool}. */
  String type();

  /** The collection's path segment, e.g. {@code pools}. */
  String collection();

  /** The writable fields. */
  Schema schema();

  /** Whether {@code PUT /{key}} is offered. */
  default boolean updatable() {
    return true;
  }

  /** The path parameter naming one entity: {@code idOrName}, or {@code id} where there is no name. */
  default String keyParam() {
    return "idOrName";
  }

  /** How audit rows and messages name an entity. */
  default String nameOf(JsonObject entity) {
    return entity.getString("name");
  }

  /** Every entity matching the query's filters, in a stable order. */
  Future<JsonArray> list(SqlClient sql, MultiMap query);

  /** The entity with this key, or {@code null}; {@code lock} takes a row lock for a following write. */
  Future<JsonObject> find(SqlClient sql, String key, boolean lock);

  /**
   * Slow work on the checked fields before the transaction opens (e.g. hashing a password off the event
   * loop); the result is what {@link #create} and {@link #update} receive.
   */
  default Future<JsonObject> prepare(JsonObject checked) {
    return Future.succeededFuture(checked);
  }

  Future<JsonObject> create(SqlConnection conn, JsonObject fields, Actor actor);

  /**
   * Applies the given fields only; {@code current} was found with a lock.
   *
   * @param after where the change puts what must wait for the commit (run before the answer)
   */
  Future<JsonObject> update(SqlConnection conn, JsonObject current, JsonObject changes, Actor actor,
      AfterCommit after);

  /**
   * Deletes {@code current}, found with a lock, or fails with a client error saying why it must stay.
   *
   * @param after where the deletion puts what must wait for the commit (run before the answer)
   */
  Future<Void> delete(SqlConnection conn, JsonObject current, Actor actor, AfterCommit after);
}
