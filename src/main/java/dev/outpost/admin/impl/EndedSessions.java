package dev.outpost.admin.impl;

import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The session history in the database, as admins read it back ({@code GET /sessions?state=ended}): sessions that
 * ended, newest ended first, filtered by user, host, pool, resource and time, a page at a time. The broker writes
 * the history behind its work, so a session shows here within a second or so of ending (later while the database
 * is down: the changes wait on disk until it answers).
 */
public final class EndedSessions {

  /** The query parameters that only the history understands. */
  public static final Set<String> HISTORY_PARAMETERS = Set.of("pool", "from", "to", "cursor");
  private static final String COLUMNS = "id, user_id, username, resource_id, resource_name, host_id, host_name, "
      + "pool_id, pool_name, state, end_reason, created_at, updated_at, ended_at";

  /**
   * One page's filters; {@code null} means "any". A session matches {@code from}/{@code to} when it was open at some
   * time between them: it ended at or after {@code from} and started before {@code to}.
   *
   * @param after where the previous page ended, or {@code null} for the first page
   */
  public record Query(String user, String host, String pool, String resource, Instant from, Instant to, int limit,
      Cursor after) {

    /**
     * Reads the query parameters {@code user}, {@code host}, {@code pool}, {@code resource}, {@code from},
     * {@code to} and {@code cursor}; fails with 400 saying what is wrong.
     */
    public static Query of(MultiMap params, int limit) {
      Instant from = time(params, "from");
      Instant to = time(params, "to");
      if (from != null && to != null && !from.isBefore(to)) {
        throw ClientErrorException.validation("from must be before to");
      }
      String cursor = blankToNull(params.get("cursor"));
      return new Query(blankToNull(params.get("user")), blankToNull(params.get("host")),
          blankToNull(params.get("pool")), blankToNull(params.get("resource")), from, to, limit,
          cursor == null ? null : Cursor.parse(cursor));
    }
  }

  /** Where a page ended: its last session's end and id, which the next page continues after. */
  public record Cursor(Instant endedAt, UUID id) {

    /** The opaque form given out as {@code nextCursor}. */
    public String encode() {
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

  private final Database db;

  public EndedSessions(Database db) {
    this.db = Objects.requireNonNull(db);
  }

  /** One page: {@code items}, and {@code nextCursor} when more sessions match. */
  public Future<JsonObject> page(Query query) {
    List<String> where = new ArrayList<>(List.of("ended_at IS NOT NULL"));
    Tuple args = Tuple.tuple();
    if (query.user() != null) {
      where.add(matching(args, "user_id", "username", query.user(), null));
    }
    if (query.host() != null) {
      where.add(matching(args, "host_id", "host_name", query.host(), "hosts"));
    }
    if (query.pool() != null) {
      where.add(matching(args, "pool_id", "pool_name", query.pool(), "pools"));
    }
    if (query.resource() != null) {
      where.add(matching(args, "resource_id", "resource_name", query.resource(), "resources"));
    }
    if (query.from() != null) {
      args.addOffsetDateTime(query.from().atOffset(ZoneOffset.UTC));
      where.add("ended_at >= $" + args.size());
    }
    if (query.to() != null) {
      args.addOffsetDateTime(query.to().atOffset(ZoneOffset.UTC));
      where.add("created_at < $" + args.size());
    }
    if (query.after() != null) {
      args.addOffsetDateTime(query.after().endedAt().atOffset(ZoneOffset.UTC)).addUUID(query.after().id());
      where.add("(ended_at, id) < ($" + (args.size() - 1) + ", $" + args.size() + ")");
    }
    args.addInteger(query.limit() + 1); // one more than asked tells whether another page follows
    String sql = "SELECT " + COLUMNS + " FROM session_history WHERE " + String.join(" AND ", where)
        + " ORDER BY ended_at DESC, id DESC LIMIT $" + args.size();
    return db.pool().preparedQuery(sql).execute(args).map(rows -> {
      JsonArray items = new JsonArray();
      Cursor last = null;
      for (Row row : rows) {
        if (items.size() == query.limit()) {
          return new JsonObject().put("items", items).put("nextCursor", last.encode());
        }
        items.add(toJson(row));
        last = new Cursor(row.getOffsetDateTime("ended_at").toInstant(), row.getUUID("id"));
      }
      return new JsonObject().put("items", items);
    });
  }

  /**
   * The condition for a filter by id or name. By name it matches the name the row was written with, and, for an
   * entity that still exists, its current name too (so that a renamed pool finds its older sessions).
   */
  private static String matching(Tuple args, String idColumn, String nameColumn, String key, String table) {
    UUID id = IdOrName.asId(key);
    if (id != null) {
      args.addUUID(id);
      return idColumn + " = $" + args.size();
    }
    args.addString(key);
    int n = args.size();
    String byName = "lower(" + nameColumn + ") = lower($" + n + ")";
    return table == null ? byName : "(" + byName + " OR " + idColumn + " IN (SELECT id FROM " + table
        + " WHERE lower(name) = lower($" + n + ")))";
  }

  /** A row as the admin API shows a session, with its pool and when it ended. */
  private static JsonObject toJson(Row row) {
    UUID poolId = row.getUUID("pool_id");
    return new JsonObject()
        .put("id", row.getUUID("id").toString())
        .put("userId", row.getUUID("user_id").toString())
        .put("username", row.getString("username"))
        .put("resourceId", row.getUUID("resource_id").toString())
        .put("resource", row.getString("resource_name"))
        .put("poolId", poolId == null ? null : poolId.toString())
        .put("pool", row.getString("pool_name"))
        .put("hostId", row.getUUID("host_id").toString())
        .put("host", row.getString("host_name"))
        .put("state", row.getString("state"))
        .put("endReason", row.getString("end_reason"))
        .put("createdAt", row.getOffsetDateTime("created_at").toInstant().toString())
        .put("updatedAt", row.getOffsetDateTime("updated_at").toInstant().toString())
        .put("endedAt", row.getOffsetDateTime("ended_at").toInstant().toString());
  }

  private static Instant time(MultiMap params, String name) {
    String raw = blankToNull(params.get(name));
    if (raw == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(raw.trim()).toInstant();
    } catch (DateTimeParseException e) {
      throw ClientErrorException.validation(name + " must be a time with its offset, like 2026-11-25T14:00:00Z or "
          + "2026-11-25T15:00:00+01:00");
    }
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }
}
