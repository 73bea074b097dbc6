package dev.outpost.admin.impl;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit log as a SIEM reads it: one JSON object per entry, oldest first by position in the chain, with the
 * hashes that link it, so that a copy kept elsewhere can be checked against the site's log later.
 */
public final class AuditExport {

  /** Most entries one page holds. */
  public static final int MAX_PAGE = 5000;

  private AuditExport() {
  }

  /** Up to {@code limit} entries after position {@code after}, oldest first. */
  public static Future<List<JsonObject>> page(SqlClient sql, long after, int limit) {
    return sql.preparedQuery("SELECT id, seq, entry_id, at, actor, action, target_type, target_id, target_name, "
            + "detail, request_id, node, prev_hash, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2")
        .execute(Tuple.of(after, limit))
        .map(rows -> {
          List<JsonObject> lines = new ArrayList<>(rows.size());
          rows.forEach(row -> lines.add(line(row)));
          return lines;
        });
  }

  /**
   * One entry: {@code position, id, entryId, at, actor, action, targetType, targetId, targetName, detail,
   * requestId, node, prevHash, hash} (hashes in lower-case hex).
   */
  static JsonObject line(Row row) {
    AuditLog.Entry entry = AuditLog.Entry.fromRow(row);
    return new JsonObject()
        .put("position", row.getLong("seq"))
        .put("id", row.getLong("id"))
        .put("entryId", entry.id().toString())
        .put("at", entry.at().toString())
        .put("actor", entry.actor())
        .put("action", entry.action())
        .put("targetType", entry.targetType())
        .put("targetId", entry.targetId())
        .put("targetName", entry.targetName())
        .put("detail", entry.detail())
        .put("requestId", entry.requestId())
        .put("node", entry.node())
        .put("prevHash", AuditLog.hex(row.getBuffer("prev_hash")))
        .put("hash", AuditLog.hex(row.getBuffer("hash")));
  }
}
