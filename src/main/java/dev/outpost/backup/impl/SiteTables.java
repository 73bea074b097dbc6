package dev.outpost.backup.impl;

import dev.outpost.admin.Actor;
import dev.outpost.admin.Auditor;
import dev.outpost.backup.BackupException;
import dev.outpost.db.StoredSecretsKey;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The site's configuration in the database, as rows: read in one read-only snapshot, and written back in one
 * transaction in foreign-key order. Every table of the schema is included except history and bookkeeping
 * ({@link #EXCLUDED}), so that tables added by later migrations are backed up without changes here. Rows
 * travel as PostgreSQL's own JSON ({@code row_to_json}, {@code json_populate_recordset}), which keeps every
 * column type exact, and a restore writes only the columns both schemas have, so an archive from an older
 * schema restores into a newer one.
 */
public final class SiteTables {

  /**
   * Not configuration: migration bookkeeping, the site-model change counter (restoring bumps it), history that grows
   * without bound (audit log with its hash chain, checkpoints, signing keys and export cursors, session history),
   * sign-in sessions and their revocations (live credentials, which an archive does not carry),
   * and the key for stored secrets: sealed under the cluster secret of
   * the nodes that use the database, while the archive carries it as {@code secrets/directory.key}. A restore removes
   * the database's sealed copy, so that the first node that starts on the restored site keeps the archive's key
   * there, sealed under its own {@code cluster.secret}.
   */
  public static final Set<String> EXCLUDED = Set.of("schema_migrations", "site_model_version", "audit_log",
      "audit_chain_head", "audit_checkpoints", "audit_signing_keys", "audit_export_cursors", "session_history",
      "sign_in_sessions", "sign_in_revocations", StoredSecretsKey.TABLE);
  /** The resource location every schema starts with (migration V5); its presence alone is no site. */
  private static final String SEEDED_LOCATION = "default";
  /** Who a restore's audit entry names: the restore itself, run on a node's machine with no one signed in. */
  private static final Actor RESTORE = new Actor("", "system", "", "");

  /** What a snapshot holds: the migrations applied to its schema, and each table's rows. */
  public record Snapshot(List<Integer> schema, Map<String, JsonArray> tables) {
  }

  private SiteTables() {
  }

  /** Reads every included table in one consistent, read-only snapshot. */
  public static Future<Snapshot> read(Pool pool) {
    return pool.withConnection(conn -> conn.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute()
        .compose(v -> snapshot(conn))
        .eventually(() -> conn.query("COMMIT").execute()));
  }

  private static Future<Snapshot> snapshot(SqlConnection conn) {
    return appliedMigrations(conn).compose(schema -> tables(conn).compose(names -> {
      Map<String, JsonArray> tables = new LinkedHashMap<>();
      Future<Void> chain = Future.succeededFuture();
      for (String table : names) {
        chain = chain.compose(v -> conn.query("SELECT coalesce(json_agg(row_to_json(t)), '[]'::json)::text FROM "
                + quote(table) + " t").execute()
            .map(rows -> {
              tables.put(table, new JsonArray(rows.iterator().next().getString(0)));
              return null;
            }));
      }
      return chain.map(v -> new Snapshot(schema, tables));
    }));
  }

  /**
   * Replaces the included tables' rows with the snapshot's, in one transaction, and records the restore in the
   * audit log.
   *
   * @param replace when false, a database that already holds a site is left alone and the restore fails
   */
  public static Future<Map<String, Integer>> write(Pool pool, Snapshot snapshot, boolean replace,
      JsonObject auditDetail) {
    return pool.withTransaction(conn -> appliedMigrations(conn)
        .compose(applied -> {
          Set<Integer> missing = new TreeSet<>(snapshot.schema());
          missing.removeAll(applied);
          if (!missing.isEmpty()) {
            return Future.failedFuture(new BackupException("the archive was written by a newer Outpost (schema "
                + "migrations " + missing + " are unknown here); restore it with that version or a newer one"));
          }
          return tables(conn);
        })
        .compose(names -> foreignKeyOrder(conn, names))
        .compose(order -> (replace ? Future.<Void>succeededFuture() : refuseExistingSite(conn, order))
            .compose(v -> clear(conn, order))
            .compose(v -> conn.query("DELETE FROM " + StoredSecretsKey.TABLE).execute())
            .compose(v -> insertAll(conn, order, snapshot)))
        .compose(counts -> Auditor.log().record(conn, RESTORE, "site.restore", "site", null, "backup archive",
                auditDetail.copy().put("rows", new JsonObject(new LinkedHashMap<>(counts))))
            .map(counts)));
  }

  private static Future<List<Integer>> appliedMigrations(SqlConnection conn) {
    return conn.query("SELECT version FROM schema_migrations ORDER BY version").execute().map(rows -> {
      List<Integer> versions = new ArrayList<>();
      rows.forEach(row -> versions.add(row.getInteger(0)));
      return versions;
    });
  }

  private static Future<List<String>> tables(SqlConnection conn) {
    return conn.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        + "AND table_type = 'BASE TABLE' ORDER BY table_name").execute().map(rows -> {
          List<String> names = new ArrayList<>();
          for (Row row : rows) {
            if (!EXCLUDED.contains(row.getString(0))) {
              names.add(row.getString(0));
            }
          }
          return names;
        });
  }

  /** Parents before children, so that rows can be inserted in this order and deleted in the reverse one. */
  private static Future<List<String>> foreignKeyOrder(SqlConnection conn, List<String> names) {
    return conn.query("SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint "
        + "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace").execute().map(rows -> {
          Map<String, Set<String>> parents = new HashMap<>();
          for (Row row : rows) {
            if (!row.getString(0).equals(row.getString(1))) {
              parents.computeIfAbsent(row.getString(0), k -> new HashSet<>()).add(row.getString(1));
            }
          }
          List<String> order = new ArrayList<>();
          Set<String> placed = new LinkedHashSet<>();
          Deque<String> pending = new ArrayDeque<>(names);
          int stalled = 0;
          while (!pending.isEmpty()) {
            String table = pending.removeFirst();
            boolean ready = parents.getOrDefault(table, Set.of()).stream()
                .allMatch(parent -> placed.contains(parent) || !names.contains(parent));
            if (ready) {
              order.add(table);
              placed.add(table);
              stalled = 0;
            } else {
              pending.addLast(table);
              if (++stalled > pending.size()) {
                throw new IllegalStateException("foreign keys form a cycle among " + pending);
              }
            }
          }
          return order;
        });
  }

  private static Future<Void> refuseExistingSite(SqlConnection conn, List<String> tables) {
    List<Future<String>> counts = new ArrayList<>();
    for (String table : tables) {
      String where = table.equals("locations") ? " WHERE name <> '" + SEEDED_LOCATION + "'" : "";
      counts.add(conn.query("SELECT count(*) FROM " + quote(table) + where).execute()
          .map(rows -> rows.iterator().next().getLong(0) > 0 ? table : null));
    }
    return Future.all(counts).compose(all -> {
      List<String> filled = counts.stream().map(Future::result).filter(t -> t != null).toList();
      return filled.isEmpty() ? Future.succeededFuture()
          : Future.failedFuture(new BackupException("the database already holds a site (rows in " + String.join(", ",
              filled) + "); restore onto a fresh data dir and database, or pass --replace to overwrite it"));
    });
  }

  private static Future<Void> clear(SqlConnection conn, List<String> order) {
    Future<Void> chain = Future.succeededFuture();
    for (int i = order.size() - 1; i >= 0; i--) {
      String table = order.get(i);
      chain = chain.compose(v -> conn.query("DELETE FROM " + quote(table)).execute().mapEmpty());
    }
    return chain;
  }

  private static Future<Map<String, Integer>> insertAll(SqlConnection conn, List<String> order, Snapshot snapshot) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    Future<Void> chain = Future.succeededFuture();
    for (String table : order) {
      JsonArray rows = snapshot.tables().getOrDefault(table, new JsonArray());
      counts.put(table, rows.size());
      if (!rows.isEmpty()) {
        chain = chain.compose(v -> insert(conn, table, rows));
      }
    }
    return chain.map(counts);
  }

  private static Future<Void> insert(SqlConnection conn, String table, JsonArray rows) {
    return conn.preparedQuery("SELECT column_name, coalesce(column_default, '') LIKE 'nextval(%' FROM "
            + "information_schema.columns WHERE table_schema = current_schema() AND table_name = $1")
        .execute(Tuple.of(table))
        .compose(columns -> {
          Set<String> present = new HashSet<>();
          rows.forEach(row -> present.addAll(((JsonObject) row).fieldNames()));
          List<String> shared = new ArrayList<>();
          List<String> serial = new ArrayList<>();
          for (Row column : columns) {
            if (present.contains(column.getString(0))) {
              shared.add(quote(column.getString(0)));
              if (column.getBoolean(1)) {
                serial.add(column.getString(0));
              }
            }
          }
          String list = String.join(", ", shared);
          return conn.preparedQuery("INSERT INTO " + quote(table) + " (" + list + ") SELECT " + list
                  + " FROM json_populate_recordset(NULL::" + quote(table) + ", $1::text::json)")
              .execute(Tuple.of(rows.encode()))
              .compose(v -> advanceSequences(conn, table, serial));
        });
  }

  /** Serial columns continue after the restored rows instead of colliding with them. */
  private static Future<Void> advanceSequences(SqlConnection conn, String table, List<String> serial) {
    Future<Void> chain = Future.succeededFuture();
    for (String column : serial) {
      chain = chain.compose(v -> conn.preparedQuery("SELECT setval(pg_get_serial_sequence($1, $2), "
              + "(SELECT coalesce(max(" + quote(column) + "), 0) + 1 FROM " + quote(table) + "), false)")
          .execute(Tuple.of(table, column)).mapEmpty());
    }
    return chain;
  }

  private static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
