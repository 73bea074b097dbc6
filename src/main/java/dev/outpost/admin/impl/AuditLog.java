package dev.outpost.admin.impl;

import dev.outpost.admin.Actor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The append-only record of admin changes, written in the same transaction as the change itself. Every entry takes
 * the next position of one hash chain (see {@link ChainHash}): the append moves the single row of
 * {@code audit_chain_head} in the writer's transaction, so that writers on every node that shares the database take
 * turns and the chain never forks.
 */
public final class AuditLog {

  /**
   * Appends one entry unless its id is in the table already: moves the head (waiting for any other writer's
   * transaction that moved it first) and writes the entry at the new position with the hash before it and its own.
   * The content hash ($11) is made here, the link by the database, so that the head is held for one statement.
   */
  static final String APPEND = "WITH head AS (UPDATE audit_chain_head SET seq = seq + 1, prev_hash = hash, "
      + "hash = sha256(hash || $11::bytea) WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE entry_id = $1) "
      + "RETURNING seq, prev_hash, hash) "
      + "INSERT INTO audit_log(entry_id, at, actor, action, target_type, target_id, target_name, detail, request_id, "
      + "node, seq, prev_hash, hash) "
      + "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, head.seq, head.prev_hash, head.hash FROM head";

  private final Clock clock;

  /** A log whose entries take the time of the system clock. */
  public AuditLog() {
    this(Clock.systemUTC());
  }

  public AuditLog(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
  }

  /** One page of entries, newest first. */
  public record Query(int limit, Long before, String actor, String targetType) {
  }

  /**
   * One entry written apart from the change it records (see {@link SpooledAudit}): its id keeps it to one row
   * however often it is written, and {@code at} is when the action happened, not when the row was written.
   */
  public record Entry(UUID id, Instant at, String actor, String action, String targetType, String targetId,
      String targetName, JsonObject detail, String requestId, String node) {

    /** {@code at} as PostgreSQL keeps it (microseconds), so that the hash of the row read back is the same. */
    public Entry {
      Objects.requireNonNull(id);
      at = at.truncatedTo(ChronoUnit.MICROS);
      targetId = targetId == null ? "" : targetId;
      targetName = targetName == null ? "" : targetName;
      detail = detail == null ? new JsonObject() : detail;
    }

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

    /** The entry of an {@code audit_log} row (its columns by name). */
    public static Entry fromRow(Row row) {
      Object detail = row.getValue("detail");
      return new Entry(row.getUUID("entry_id"), row.getOffsetDateTime("at").toInstant(), row.getString("actor"),
          row.getString("action"), row.getString("target_type"), row.getString("target_id"),
          row.getString("target_name"), detail instanceof JsonObject json ? json : new JsonObject()
              .put("(not an object)", String.valueOf(detail)), row.getString("request_id"), row.getString("node"));
    }

    public static Entry fromJson(JsonObject json) {
      return new Entry(UUID.fromString(json.getString("id")), Instant.parse(json.getString("at")),
          json.getString("actor"), json.getString("action"), json.getString("targetType"),
          json.getString("targetId", ""), json.getString("targetName", ""), json.getJsonObject("detail",
              new JsonObject()), json.getString("requestId", ""), json.getString("node", ""));
    }
  }

  /**
   * Appends entries to the chain in their order; an entry whose id is in the table already is left as it is. Use a
   * transaction's connection: the chain's head stays taken until it ends.
   */
  public Future<Void> insert(SqlClient sql, List<Entry> entries) {
    if (entries.isEmpty()) {
      return Future.succeededFuture();
    }
    return sql.preparedQuery(APPEND)
        .executeBatch(entries.stream().map(AuditLog::appendArguments).toList())
        .mapEmpty();
  }

  private static Tuple appendArguments(Entry e) {
    return Tuple.of(e.id(), e.at().atOffset(ZoneOffset.UTC), e.actor(), e.action(), e.targetType(), e.targetId(),
        e.targetName(), e.detail(), e.requestId(), e.node())
        .addBuffer(io.vertx.core.buffer.Buffer.buffer(ChainHash.content(e)));
  }

  /**
   * Appends one entry; use the connection of the transaction making the change, and record last in it: the chain's
   * head is taken until the transaction ends.
   */
  public Future<Void> record(SqlClient sql, Actor actor, String action, String targetType, String targetId,
      String targetName, JsonObject detail) {
    return insert(sql, List.of(Entry.of(actor, clock.instant(), action, targetType, targetId, targetName, detail)));
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
    String sqlText = "SELECT id, at, actor, action, target_type, target_id, target_name, detail, request_id, node, "
        + "seq, hash FROM audit_log" + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
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
        .put("node", row.getString("node"))
        .put("position", row.getLong("seq"))
        .put("hash", hex(row.getBuffer("hash")));
  }

  /** Lower-case hex of a hash column, or {@code null}. */
  static String hex(io.vertx.core.buffer.Buffer bytes) {
    return bytes == null ? null : HexFormat.of().formatHex(bytes.getBytes());
  }
}
