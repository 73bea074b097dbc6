package dev.outpost.lease.impl;

import dev.outpost.lease.Revocation;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Revocations in the {@code lease_revocations} table. */
public final class RevocationStore {

  /**
   * How long a revocation stays relevant: a lease lives at most 30 days, and every lease a revocation voids was
   * issued before it.
   */
  public static final Duration RELEVANT = Duration.ofDays(31);

  private static final String COLUMNS = "id, kind, subject, user_id, revoked_at, reason, created_by";

  /** Inserts a revocation (an id already stored is left alone); use the transaction's connection. */
  public Future<Boolean> insert(SqlClient sql, Revocation r, boolean forwarded) {
    return sql.preparedQuery("INSERT INTO lease_revocations(" + COLUMNS + ", forwarded) "
            + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING")
        .execute(Tuple.of(UUID.fromString(r.id()), r.kind().wireName(), r.subject(), r.userId(),
            r.revokedAt().atOffset(ZoneOffset.UTC), r.reason()).addString(r.createdBy()).addBoolean(forwarded))
        .map(rows -> rows.rowCount() > 0);
  }

  /** Revocations still relevant at {@code now}, newest first. */
  public Future<List<Revocation>> relevant(SqlClient sql, Instant now) {
    return sql.preparedQuery("SELECT " + COLUMNS + " FROM lease_revocations WHERE revoked_at > $1 "
            + "ORDER BY revoked_at DESC")
        .execute(Tuple.of(now.minus(RELEVANT).atOffset(ZoneOffset.UTC)))
        .map(RevocationStore::all);
  }

  /** Revocations made on this appliance that its hub has not confirmed yet. */
  public Future<List<Revocation>> unforwarded(SqlClient sql) {
    return sql.query("SELECT " + COLUMNS + " FROM lease_revocations WHERE NOT forwarded ORDER BY revoked_at")
        .execute().map(RevocationStore::all);
  }

  public Future<Void> markForwarded(SqlClient sql, String id) {
    return sql.preparedQuery("UPDATE lease_revocations SET forwarded = true WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(id))).mapEmpty();
  }

  private static List<Revocation> all(io.vertx.sqlclient.RowSet<Row> rows) {
    List<Revocation> items = new ArrayList<>();
    rows.forEach(row -> items.add(new Revocation(row.getUUID("id").toString(), Revocation.Kind.parse(
        row.getString("kind")), row.getString("subject"), row.getString("user_id"),
        row.getOffsetDateTime("revoked_at").toInstant(), row.getString("reason"), row.getString("created_by"))));
    return items;
  }
}
