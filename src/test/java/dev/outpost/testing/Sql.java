package dev.outpost.testing;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Blocking SQL against a test site's database, for GIVEN steps and for checking what a request changed. */
public final class Sql {

  private Sql() {
  }

  /** The rows of a query, each as a JSON object keyed by column name. */
  public static List<JsonObject> rows(TestSite site, String sql, Object... args) {
    try {
      return site.node().database().pool().preparedQuery(sql).execute(Tuple.from(java.util.Arrays.asList(args)))
          .map(rows -> {
            List<JsonObject> result = new ArrayList<>();
            rows.forEach(row -> result.add(row.toJson()));
            return result;
          })
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("SQL failed: " + sql, e);
    }
  }

  /** The single number a {@code SELECT count(*)} (or similar) returns. */
  public static long count(TestSite site, String sql, Object... args) {
    JsonObject row = rows(site, sql, args).get(0);
    return ((Number) row.getValue(row.fieldNames().iterator().next())).longValue();
  }

  public static void update(TestSite site, String sql, Object... args) {
    rows(site, sql, args);
  }
}
