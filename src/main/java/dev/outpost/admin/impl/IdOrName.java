package dev.outpost.admin.impl;

import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A path key or reference that may be an entity's id or its name. Only the canonical UUID form counts as
 * an id; anything else is looked up by name only, so a malformed id simply finds nothing.
 */
public final class IdOrName {

  private static final Pattern CANONICAL_UUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private IdOrName() {
  }

  /** The key as a UUID, or {@code null} when it cannot be an id. */
  public static UUID asId(String key) {
    return key != null && CANONICAL_UUID.matcher(key).matches() ? UUID.fromString(key) : null;
  }

  /**
   * SQL condition matching {@code alias.id} against parameter {@code $n} and {@code lower(alias.nameColumn)}
   * against {@code $n+1}; pass {@link #asId} and the key as those parameters.
   */
  public static String condition(String alias, String nameColumn, int n) {
    return "(" + alias + ".id = $" + n + " OR lower(" + alias + "." + nameColumn + ") = lower($" + (n + 1) + "))";
  }

  /** ORDER BY clause that prefers an id match over a name match when a name looks like another's id. */
  public static String idFirst(String alias, int n) {
    return "(" + alias + ".id = $" + n + ") DESC NULLS LAST";
  }

  /**
   * The id of the row of {@code table} that {@code key} names, for a reference in a request body; fails with
   * 400 naming the reference when there is none.
   *
   * @param what how the reference is called in the API, e.g. {@code pool}
   */
  public static Future<UUID> resolve(SqlClient sql, String table, String nameColumn, String what, String key) {
    return sql.preparedQuery("SELECT t.id FROM " + table + " t WHERE " + condition("t", nameColumn, 1)
            + " ORDER BY " + idFirst("t", 1) + " LIMIT 1")
        .execute(Tuple.of(asId(key), key))
        .map(rows -> {
          if (rows.size() == 0) {
            throw ClientErrorException.validation("unknown " + what + " '" + key + "'");
          }
          return rows.iterator().next().getUUID("id");
        });
  }
}
