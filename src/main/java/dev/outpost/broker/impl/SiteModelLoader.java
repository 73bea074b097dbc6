package dev.outpost.broker.impl;

import dev.outpost.broker.SiteModel;
import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/** Reads the site model from PostgreSQL in one repeatable-read transaction, so the snapshot is consistent. */
public final class SiteModelLoader {

  private final Database db;

  public SiteModelLoader(Database db) {
    this.db = db;
  }

  /** The current change counter; cheap enough to poll. */
  public Future<Long> version() {
    return db.pool().query("SELECT version FROM site_model_version WHERE id = 1").execute()
        .map(rows -> rows.iterator().next().getLong(0));
  }

  public Future<SiteModel> load() {
    return db.transaction(this::load);
  }

  private Future<SiteModel> load(SqlConnection conn) {
    Map<String, SiteModel.Pool> pools = new HashMap<>();
    Map<String, SiteModel.Resource> resources = new HashMap<>();
    Map<String, Set<String>> groupsByUser = new HashMap<>();
    Map<String, Set<String>> usersEntitled = new HashMap<>();
    Map<String, Set<String>> groupsEntitled = new HashMap<>();
    Map<String, Set<String>> directoryGroupsEntitled = new HashMap<>();
    long[] version = new long[1];
    return conn.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute()
        .compose(v -> conn.query("SELECT version FROM site_model_version WHERE id = 1").execute())
        .compose(rows -> {
          version[0] = rows.iterator().next().getLong(0);
          return conn.query("SELECT id, name, max_sessions_per_host, location, record_sessions FROM pools").execute();
        })
        .compose(rows -> {
          for (Row r : rows) {
            String id = r.getUUID(0).toString();
            pools.put(id, new SiteModel.Pool(id, r.getString(1), r.getInteger(2), r.getString(3), r.getBoolean(4)));
          }
          return conn.query("SELECT id, name, display_name, pool_id, kind, port, launch_hint, host_login, "
              + "category FROM resources").execute();
        })
        .compose(rows -> {
          for (Row r : rows) {
            String id = r.getUUID(0).toString();
            resources.put(id, new SiteModel.Resource(id, r.getString(1), r.getString(2), r.getUUID(3).toString(),
                r.getString(4), r.getInteger(5), r.getString(6), r.getString(7), r.getString(8)));
          }
          return conn.query("SELECT user_id, group_id FROM group_members").execute();
        })
        .compose(rows -> {
          collect(rows, groupsByUser);
          return conn.query("SELECT resource_id, user_id, group_id, directory_group FROM entitlements")
              .execute();
        })
        .map(rows -> {
          for (Row r : rows) {
            String resource = r.getUUID(0).toString();
            if (r.getUUID(1) != null) {
              usersEntitled.computeIfAbsent(resource, k -> new HashSet<>()).add(r.getUUID(1).toString());
            } else if (r.getUUID(2) != null) {
              groupsEntitled.computeIfAbsent(resource, k -> new HashSet<>()).add(r.getUUID(2).toString());
            } else {
              directoryGroupsEntitled.computeIfAbsent(resource, k -> new HashSet<>()).add(r.getString(3));
            }
          }
          return new SiteModel(version[0], pools, resources, freeze(groupsByUser), freeze(usersEntitled),
              freeze(groupsEntitled), freeze(directoryGroupsEntitled));
        });
  }

  private static void collect(RowSet<Row> rows, Map<String, Set<String>> into) {
    for (Row r : rows) {
      into.computeIfAbsent(r.getUUID(0).toString(), k -> new HashSet<>()).add(r.getUUID(1).toString());
    }
  }

  private static Map<String, Set<String>> freeze(Map<String, Set<String>> map) {
    Map<String, Set<String>> frozen = new HashMap<>();
    map.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
    return frozen;
  }
}
