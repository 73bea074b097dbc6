package dev.outpost.admin.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.UUID;
import java.util.function.Function;

/** Conversions from result rows to API values shared by the stores. */
final class Rows {

  private Rows() {
  }

  static String id(Row row, String column) {
    UUID id = row.getUUID(column);
    return id == null ? null : id.toString();
  }

  static String time(Row row, String column) {
    OffsetDateTime at = row.getOffsetDateTime(column);
    return at == null ? null : at.toInstant().toString();
  }

  static JsonArray texts(Row row, String column) {
    String[] values = row.getArrayOfStrings(column);
    return values == null ? new JsonArray() : new JsonArray(Arrays.asList(values));
  }

  static <T> T firstOrNull(RowSet<Row> rows, Function<Row, T> mapper) {
    return rows.size() == 0 ? null : mapper.apply(rows.iterator().next());
  }

  static JsonArray all(RowSet<Row> rows, Function<Row, ?> mapper) {
    JsonArray items = new JsonArray();
    rows.forEach(row -> items.add(mapper.apply(row)));
    return items;
  }
}
