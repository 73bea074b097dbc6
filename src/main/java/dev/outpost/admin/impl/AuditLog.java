package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The append-only record of admin changes, written in the same transaction as the change itself. */
public final class AuditLog {

  /** One page of entries, newest first. */
  public record Query(int limit, Long before, String actor, String targetType) {
  }

  /**
   * One entry written apart from the change it records (see {@link SpooledAudit}): its id keeps it to one row
   * however often it is written, and {@code at} is when the action happened, not when the row was written.
   */
  public record Entry(UUID id, Instant at, String actor, String action, String targetType, String targetId,
      String targetName, JsonObject detail, String requestId, String node) {

    public static Entry of(Actor actor, Instant at, String action, String targetType, String targetId,
        String targetName, JsonObject detail) {
      return new Entry(UUID.randomUUID(), at, actor.username(), action, targetType, targetId, targetName,
          detail == null ? new JsonObject() : detail, actor.requestId(), actor.node());
    }

    public JsonObject toJson() {
      return new JsonObject().put("id", id.toString()).put("at", at.toString()).put("actor", actor)
          .put("action", action).put("targetType", targetType).put("targetId", targetId)
          .put("targetName", targetName).put("detail", detail).put("requestId", requestId).put("node", node);
    }

    public static Entry fromJson(JsonObject json) {
      return new Entry(UUID.fromString(json.getString("id")), Instant.parse(json.getString("at")),
          json.getString("actor"), json.getString("action"), json.getString("targetType"),
          json.getString("targetId", ""), json.getString("targetName", ""), json.getJsonObject("detail",
              new JsonObject()), json.getString("requestId", ""), json.getString("node", ""));
    }
  }

  /** Writes entries in their order; an entry whose id is in the table already is left as it is. */
  public Future<Void> insert(SqlClient sql, List<Entry> entries) {
    if (entries.isEmpty()) {
      return Future.succeededFuture();
    }
    return sql.preparedQuery("INSERT INTO audit_log(entry_id, at, actor, action, target_type, target_id, target_name, "
            + "detail, request_id, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
            + "ON CONFLICT (entry_id) DO NOTHING")
        .executeBatch(entries.stream().map(e -> Tuple.of(e.id(), e.at().atOffset(ZoneOffset.UTC), e.actor(),
            e.action(), e.targetType(), e.targetId(), e.targetName(), e.detail(), e.requestId(), e.node())).toList())
        .mapEmpty();
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
