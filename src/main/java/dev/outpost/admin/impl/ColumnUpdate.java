package dev.outpost.admin.impl;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes the changed fields of a partial update to their columns in one {@code UPDATE}, and touches
 * {@code updated_at}. Fields without a column (e.g. group members) are left to the store.
 */
final class ColumnUpdate {

  private ColumnUpdate() {
  }

  /**
   * @param columns API field name to column name; only these fields are written
   */
  static Future<Void> apply(SqlClient sql, String table, UUID id, JsonObject changes, Map<String, String> columns) {
    Tuple args = Tuple.tuple().addUUID(id);
    List<String> sets = new ArrayList<>();
    columns.forEach((field, column) -> {
      if (changes.containsKey(field)) {
        args.addValue(sqlValue(changes.getValue(field)));
        sets.add(column + " = $" + args.size());
      }
    });
    sets.add("updated_at = now()");
    return sql.preparedQuery("UPDATE " + table + " SET " + String.join(", ", sets) + " WHERE id = $1")
        .execute(args).mapEmpty();
  }

  /** JSON arrays of strings become {@code text[]}; everything else is passed as is. */
  static Object sqlValue(Object value) {
    if (value instanceof JsonArray array) {
      return array.stream().map(String::valueOf).toArray(String[]::new);
    }
    return value;
  }
}
