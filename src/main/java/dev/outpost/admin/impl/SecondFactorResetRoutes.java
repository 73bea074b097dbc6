package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Tuple;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code POST /users/{idOrName}/second-factor/reset}: an admin forgets a user's authenticator app and recovery codes
 * (a lost phone), audited. The user signs in with the password alone again (or, in a group that requires a second
 * factor, into a session that may only enrol one), and every device they had remembered stops counting.
 */
public final class SecondFactorResetRoutes {

  private final Database db;
  private final AuditLog audit;
  private final Function<RoutingContext, Actor> actors;

  public SecondFactorResetRoutes(Database db, AuditLog audit, Function<RoutingContext, Actor> actors) {
    this.db = Objects.requireNonNull(db);
    this.audit = Objects.requireNonNull(audit);
    this.actors = Objects.requireNonNull(actors);
  }

  public void mount(Router api) {
    api.post("/users/:idOrName/second-factor/reset").handler(this::reset);
  }

  private void reset(RoutingContext ctx) {
    String key = ctx.pathParam("idOrName");
    Actor actor = actors.apply(ctx);
    db.transaction(conn -> conn.preparedQuery("SELECT u.id, u.username FROM users u WHERE "
            + IdOrName.condition("u", "username", 1) + " ORDER BY " + IdOrName.idFirst("u", 1) + " LIMIT 1")
        .execute(Tuple.of(IdOrName.asId(key), key))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(ClientErrorException.notFound("no such user; use its id or name as listed by "
                + "GET /admin/api/v1/users"));
          }
          UUID id = rows.iterator().next().getUUID("id");
          String username = rows.iterator().next().getString("username");
          return conn.preparedQuery("DELETE FROM user_factors WHERE user_id = $1 RETURNING factor_id")
              .execute(Tuple.of(id))
              .compose(deleted -> {
                boolean had = deleted.size() == 1 && deleted.iterator().next().getUUID(0) != null;
                return audit.record(conn, actor, "user.second-factor-reset", "user", id.toString(), username,
                    new JsonObject().put("hadSecondFactor", had))
                    .map(new JsonObject().put("id", id.toString()).put("username", username).put("secondFactor", false)
                        .put("hadSecondFactor", had));
              });
        }))
        .onSuccess(answer -> Responses.json(ctx, 200, answer))
        .onFailure(ctx::fail);
  }
}
