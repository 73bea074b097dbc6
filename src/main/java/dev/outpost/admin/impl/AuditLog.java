package dev.outpost.admin.impl;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** The append-only record of admin changes, written in the same transaction as the change itself. */
public final class AuditLog {

  /** One page of entries, newest first. */
  public record Query(int limit, Long before, String actor, String targetType) {
  }

  /** Appends one row; use the connection of the transaction making the change. */
  public Future<Void> record(SqlClient sql, Actor actor, String action, String targetType, String targetId,
      String targetName, JsonObject detail) {
    return sql.preparedQuery("INSERT INTO audit_log(actor, action, target_type, target_id, target_name, detail, "
            + "request_id, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .execute(Tuple.of(actor.username(), action, targetType, targetId, targetName, detail)
            .addString(actor.requestId()).addString(actor.node()))
        .mapEmpty();
  }

  /** Entries matching the query, newest first. */
  public Future<JsonArray> list(SqlClient sql, Query query) {
    List<String> where = new ArrayList<>();
    Tuple args = Tuple.tuple();
    if (query.before() != null) {
      args.addLong(query.before());
      where.add("id < $" + args.size());
    }
    if (query.actor() != null) {
      args.addString(query.actor());
      where.add("lower(actor) = lower($" + args.size() + ")");
    }
    if (query.targetType() != null) {
      args.addString(query.targetType());
      where.add("target_type = $" + args.size());
    }
    args.addInteger(query.limit());
    String sqlText = "SELECT id, at, actor, action, target_type, target_id, target_name, detail, request_id, node "
        + "FROM audit_log" + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
        + " ORDER BY id DESC LIMIT $" + args.size();
    return sql.preparedQuery(sqlText).execute(args).map(rows -> {
      JsonArray items = new JsonArray();
      rows.forEach(row -> items.add(toJson(row)));
      return items;
    });
  }

  private static JsonObject toJson(Row row) {
    Object detail = row.getValue("detail");
    return new JsonObject()
        .put("id", row.getLong("id"))
        .put("at", row.getOffsetDateTime("at").toInstant().toString())
        .put("actor", row.getString("actor"))
        .put("action", row.getString("action"))
        .put("targetType", row.getString("target_type"))
        .put("targetId", row.getString("target_id"))
        .put("targetName", row.getString("target_name"))
        .put("detail", detail instanceof JsonObject json ? json : new JsonObject())
        .put("requestId", row.getString("request_id"))
        .put("node", row.getString("node"));
  }
}
