package dev.outpost.admin;

import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * The {@code --demo} site: a pool, an SSH resource and an entitlement for the demo user. Idempotent, except that
 * the resource follows {@code demo-ssh-port}: a demo made with port 22 on a machine whose sshd listens elsewhere
 * is fixed by starting again with {@code --demo-port}.
 */
public final class DemoSite {

  public static final String POOL = "demo";
  public static final String RESOURCE = "demo-ssh";

  private final Database db;
  private final int sshPort;

  /** @param sshPort {@code demo-ssh-port}: the port of the SSH service on the session hosts */
  public DemoSite(Database db, int sshPort) {
    this.db = db;
    this.sshPort = sshPort;
  }

  public Future<Void> ensure(String username) {
    return db.transaction(conn -> conn
        .preparedQuery("INSERT INTO pools(id, name, description, max_sessions_per_host) VALUES ($1, $2, $3, $4) "
            + "ON CONFLICT DO NOTHING")
        .execute(Tuple.of(UUID.randomUUID(), POOL, "Demo pool created by --demo", 10))
        .compose(v -> conn.preparedQuery("INSERT INTO resources(id, name, display_name, pool_id, kind, port, "
                + "launch_hint) SELECT $1, $2, $3, id, 'desktop', $5, 'ssh' FROM pools "
                + "WHERE lower(name) = lower($4) ON CONFLICT DO NOTHING")
            .execute(Tuple.of(UUID.randomUUID(), RESOURCE, "Demo SSH desktop", POOL, sshPort)))
        .compose(v -> conn.preparedQuery("UPDATE resources SET port = $1, updated_at = now() "
                + "WHERE lower(name) = lower($2) AND port <> $1")
            .execute(Tuple.of(sshPort, RESOURCE)))
        .compose(v -> conn.preparedQuery("INSERT INTO entitlements(id, resource_id, user_id) "
                + "SELECT $1, r.id, u.id FROM resources r, users u "
                + "WHERE lower(r.name) = lower($2) AND lower(u.username) = lower($3) ON CONFLICT DO NOTHING")
            .execute(Tuple.of(UUID.randomUUID(), RESOURCE, username)))
        .mapEmpty());
  }
}
