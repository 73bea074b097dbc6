package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.function.Function;

/**
 * The REST routes of one entity collection: list, create, read, partial update and delete. Every write runs
 * in one transaction with its audit row, so a failed change leaves neither; what a change must do outside the
 * database runs after the commit, before the answer ({@link AfterCommit}).
 */
public final class CrudRoutes {

  private final Database db;
  private final AuditLog audit;
  private final EntityStore store;
  private final Function<RoutingContext, Actor> actors;
  private final String base;

  /**
   * @param actors who is acting in a request (the signed-in admin)
   * @param mountPoint the absolute path of the router the routes go into, for {@code Location} headers
   */
  public CrudRoutes(Database db, AuditLog audit, EntityStore store, Function<RoutingContext, Actor> actors,
      String mountPoint) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.store = Objects.requireNonNull(store);
    this.actors = Objects.requireNonNull(actors);
    this.base = mountPoint + "/" + store.collection();
  }

  public void mount(Router router) {
    String collection = "/" + store.collection();
    String one = collection + "/:" + store.keyParam();
    router.get(collection).handler(this::list);
    router.post(collection).handler(this::create);
    router.get(one).handler(this::read);
    if (store.updatable()) {
      router.put(one).handler(this::update);
    }
    router.delete(one).handler(this::delete);
  }

  private void list(RoutingContext ctx) {
    store.list(db.pool(), ctx.queryParams())
        .onSuccess(items -> Responses.json(ctx, 200, new JsonObject().put("items", items)))
        .onFailure(ctx::fail);
  }

  private void read(RoutingContext ctx) {
    store.find(db.pool(), key(ctx), false)
        .map(this::requireFound)
        .onSuccess(entity -> Responses.json(ctx, 200, entity))
        .onFailure(ctx::fail);
  }

  private void create(RoutingContext ctx) {
    JsonObject checked = store.schema().forCreate(JsonBodies.object(ctx));
    Actor actor = actors.apply(ctx);
    store.prepare(checked)
        .compose(fields -> db.transaction(conn -> store.create(conn, fields, actor)
            .compose(created -> audit.record(conn, actor, store.type() + ".create", store.type(),
                created.getString("id"), store.nameOf(created), store.schema().masked(checked)).map(created))))
        .recover(SqlConflicts::generic)
        .onSuccess(created -> {
          ctx.response().putHeader("Location", base + "/" + created.getString("id"));
          Responses.json(ctx, 201, created);
        })
        .onFailure(ctx::fail);
  }

  private void update(RoutingContext ctx) {
    JsonObject checked = store.schema().forUpdate(JsonBodies.object(ctx));
    Actor actor = actors.apply(ctx);
    String key = key(ctx);
    AfterCommit after = new AfterCommit();
    store.prepare(checked)
        .compose(fields -> db.transaction(conn -> store.find(conn, key, true)
            .map(this::requireFound)
            .compose(current -> fields.isEmpty() ? Future.succeededFuture(current)
                : store.update(conn, current, fields, actor, after)
                    .compose(updated -> audit.record(conn, actor, store.type() + ".update", store.type(),
                        updated.getString("id"), store.nameOf(updated), store.schema().masked(checked))
                        .map(updated)))))
        .recover(SqlConflicts::generic)
        .compose(updated -> after.run().map(updated))
        .onSuccess(updated -> Responses.json(ctx, 200, updated))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    Actor actor = actors.apply(ctx);
    String key = key(ctx);
    AfterCommit after = new AfterCommit();
    db.transaction(conn -> store.find(conn, key, true)
            .map(this::requireFound)
            .compose(current -> store.delete(conn, current, actor, after)
                .compose(v -> audit.record(conn, actor, store.type() + ".delete", store.type(),
                    current.getString("id"), store.nameOf(current), current))))
        .recover(SqlConflicts::generic)
        .compose(v -> after.run())
        .onSuccess(v -> ctx.response().setStatusCode(204).end())
        .onFailure(ctx::fail);
  }

  private String key(RoutingContext ctx) {
    return ctx.pathParam(store.keyParam());
  }

  private JsonObject requireFound(JsonObject entity) {
    if (entity == null) {
      throw ClientErrorException.notFound("no such " + store.type() + "; use its id or name as listed by GET "
          + base);
    }
    return entity;
  }
}
