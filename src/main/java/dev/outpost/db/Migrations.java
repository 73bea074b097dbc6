package dev.outpost.db;

import dev.outpost.crypto.Fingerprints;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies the schema scripts under {@code db/migration/} in version order, each once, in one transaction
 * guarded by an advisory lock so that nodes starting together never race. A script changed after it was
 * applied stops start-up: history must not be rewritten.
 *
 * <p>A small runner over the reactive client rather than Flyway over JDBC: all runtime SQL stays on one
 * client, and a warm start pays for one query instead of a second driver and framework.
 */
final class Migrations {

  static final String INDEX = "db/migration/index.txt";
  private static final Pattern FILE = Pattern.compile("V(\\d+)__([a-z0-9_]+)\\.sql");
  private static final long LOCK_KEY = 0x6f7574706f7374L; // "outpost"

  record Script(int version, String name, String sql, String checksum) {
  }

  private final Pool pool;

  Migrations(Pool pool) {
    this.pool = pool;
  }

  /** Applies pending scripts; the future holds how many were applied. */
  Future<Integer> migrate() {
    List<Script> scripts = load();
    return pool.withTransaction(conn -> conn.query("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")").execute()
        .compose(v -> conn.query("""
            DO $$ BEGIN
              IF to_regclass('schema_migrations') IS NULL THEN
                CREATE TABLE schema_migrations (
                  version integer PRIMARY KEY,
                  name text NOT NULL,
                  checksum text NOT NULL,
                  applied_at timestamptz NOT NULL DEFAULT now());
              END IF;
            END $$""").execute())
        .compose(v -> conn.query("SELECT version, checksum FROM schema_migrations").execute())
        .compose(rows -> {
          Map<Integer, String> applied = new HashMap<>();
          for (Row row : rows) {
            applied.put(row.getInteger(0), row.getString(1));
          }
          return applyPending(conn, scripts, applied);
        }));
  }

  private Future<Integer> applyPending(SqlConnection conn, List<Script> scripts, Map<Integer, String> applied) {
    Future<Integer> chain = Future.succeededFuture(0);
    for (Script script : scripts) {
      String known = applied.get(script.version());
      if (known != null) {
        if (!known.equals(script.checksum())) {
          return Future.failedFuture(new IllegalStateException("schema migration V" + script.version()
              + " was changed after it was applied; restore the original script"));
        }
        continue;
      }
      chain = chain.compose(count -> conn.query(script.sql()).execute()
          .compose(v -> conn.preparedQuery("INSERT INTO schema_migrations(version, name, checksum) VALUES ($1, $2, $3)")
              .execute(Tuple.of(script.version(), script.name(), script.checksum())))
          .map(v -> count + 1));
    }
    int newest = scripts.isEmpty() ? 0 : scripts.get(scripts.size() - 1).version();
    int highestApplied = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
    if (highestApplied > newest) {
      return Future.failedFuture(new IllegalStateException("the database schema (V" + highestApplied
          + ") is newer than this Outpost version knows (V" + newest + "); run a newer Outpost"));
    }
    return chain;
  }

  static List<Script> load() {
    List<Script> scripts = new ArrayList<>();
    for (String line : read(INDEX).split("\n")) {
      String file = line.trim();
      if (file.isEmpty() || file.startsWith("#")) {
        continue;
      }
      Matcher m = FILE.matcher(file);
      if (!m.matches()) {
        throw new IllegalStateException("bad migration file name in " + INDEX + ": " + file);
      }
      String sql = read("db/migration/" + file);
      String checksum = HexFormat.of().formatHex(Fingerprints.sha256(sql.getBytes(StandardCharsets.UTF_8)));
      int version = Integer.parseInt(m.group(1));
      if (!scripts.isEmpty() && scripts.get(scripts.size() - 1).version() >= version) {
        throw new IllegalStateException("migrations must be listed in increasing version order: " + file);
      }
      scripts.add(new Script(version, m.group(2), sql, checksum));
    }
    return scripts;
  }

  private static String read(String resource) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
