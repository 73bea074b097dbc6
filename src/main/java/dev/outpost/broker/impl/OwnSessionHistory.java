package dev.outpost.broker.impl;

import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Objects;
import java.util.UUID;

/**
 * One user's own ended sessions in the hub's session history, newest ended first, a page at a time: what the hub
 * answers {@code sessions.history} with (the store's {@code GET /api/v1/sessions/history}). A session shows here
 * within a second or so of ending, as in the admins' history; no host address, no other user's sessions.
 */
public final class OwnSessionHistory {

  /** Most sessions in one page. */
  public static final int MAX_LIMIT = 200;
  private static final String SQL = "SELECT id, resource_id, resource_name, host_name, pool_name, state, end_reason, "
      + "created_at, ended_at FROM session_history WHERE user_id = $1 AND ended_at IS NOT NULL";

  private final Database db;

  public OwnSessionHistory(Database db) {
    this.db = Objects.requireNonNull(db);
  }

  /**
   * Answers {@code {userId, cursor?, limit}} with {@code {items, nextCursor?}}; {@code nextCursor} is there when
   * older sessions follow.
   */
  public Future<JsonObject> page(JsonObject request) {
    try {
      return query(request);
    } catch (ClientErrorException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<JsonObject> query(JsonObject request) {
    UUID user = uuid(request.getString("userId"));
    int limit = request.getInteger("limit", 50);
    if (limit < 1 || limit > MAX_LIMIT) {
      return Future.failedFuture(ClientErrorException.validation("limit must be from 1 to " + MAX_LIMIT));
    }
    String cursor = request.getString("cursor");
    Tuple args = Tuple.of(user);
    String sql = SQL;
    if (cursor != null) {
      Cursor after = Cursor.parse(cursor);
      args.addOffsetDateTime(after.endedAt().atOffset(ZoneOffset.UTC)).addUUID(after.id());
      sql += " AND (ended_at, id) < ($2, $3)";
    }
    args.addInteger(limit + 1); // one more than asked tells whether another page follows
    sql += " ORDER BY ended_at DESC, id DESC LIMIT $" + args.size();
    return db.pool().preparedQuery(sql).execute(args).map(rows -> {
      JsonArray items = new JsonArray();
      for (Row row : rows) {
        if (items.size() == limit) {
          return new JsonObject().put("items", items).put("nextCursor", Cursor.of(items.getJsonObject(limit - 1))
              .encode());
        }
        items.add(toJson(row));
      }
      return new JsonObject().put("items", items);
    });
  }

  private static JsonObject toJson(Row row) {
    return new JsonObject()
        .put("id", row.getUUID("id").toString())
        .put("resourceId", row.getUUID("resource_id").toString())
        .put("resource", row.getString("resource_name"))
        .put("pool", row.getString("pool_name"))
        .put("host", row.getString("host_name"))
        .put("state", row.getString("state"))
        .put("endReason", row.getString("end_reason"))
        .put("createdAt", row.getOffsetDateTime("created_at").toInstant().toString())
        .put("endedAt", row.getOffsetDateTime("ended_at").toInstant().toString());
  }

  private static UUID uuid(String text) {
    try {
      return UUID.fromString(Objects.requireNonNull(text, "userId"));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw ClientErrorException.validation("userId must be a user's id");
    }
  }

  /** Where a page ended: its last session's end and id, which the next page continues after. */
  record Cursor(Instant endedAt, UUID id) {

    static Cursor of(JsonObject session) {
      return new Cursor(Instant.parse(session.getString("endedAt")), UUID.fromString(session.getString("id")));
    }

    /** The opaque form given out as {@code nextCursor}. */
    String encode() {
      return Base64.getUrlEncoder().withoutPadding().encodeToString((endedAt + "/" + id)
          .getBytes(StandardCharsets.UTF_8));
    }

    static Cursor parse(String text) {
      try {
        String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        int slash = decoded.indexOf('/');
        return new Cursor(Instant.parse(decoded.substring(0, slash)), UUID.fromString(decoded.substring(slash + 1)));
      } catch (IllegalArgumentException | DateTimeParseException | IndexOutOfBoundsException e) {
        throw ClientErrorException.validation("cursor is not one this API gave out: pass the nextCursor of the "
            + "previous page, or leave it out for the first page");
      }
    }
  }
}
