package dev.outpost.admin.impl;

import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit entries written before the log was a chain: the first node that starts with the chain appends them to it,
 * in id order, once per database (under the chain's head, like any append). Their hashes are made on a worker.
 */
public final class EarlierEntries {

  private static final Logger LOG = LoggerFactory.getLogger(EarlierEntries.class);

  /** What the chain's head becomes once the earlier entries are in it. */
  private record Chained(List<Tuple> rows, long position, byte[] previous, byte[] hash) {
  }

  private final Vertx vertx;
  private final Database db;

  public EarlierEntries(Vertx vertx, Database db) {
    this.vertx = Objects.requireNonNull(vertx);
    this.db = Objects.requireNonNull(db);
  }

  /** Chains the earlier entries if no node did yet; the future holds how many it chained. */
  public Future<Integer> chain() {
    return db.pool().query("SELECT legacy_chained FROM audit_chain_head").execute()
        .compose(rows -> rows.iterator().next().getBoolean(0) ? Future.succeededFuture(0)
            : db.transaction(this::chainUnderHead))
        .onSuccess(count -> {
          if (count > 0) {
            LOG.info("Chained {} audit entr{} written before the audit log was a hash chain", count,
                count == 1 ? "y" : "ies");
          }
        });
  }

  private Future<Integer> chainUnderHead(SqlConnection conn) {
    return conn.query("SELECT seq, hash, legacy_chained FROM audit_chain_head FOR UPDATE").execute()
        .compose(heads -> {
          Row head = heads.iterator().next();
          if (head.getBoolean("legacy_chained")) {
            return Future.succeededFuture(0);
          }
          long position = head.getLong("seq");
          byte[] hash = head.getBuffer("hash").getBytes();
          return conn.query("SELECT id, entry_id, at, actor, action, target_type, target_id, target_name, detail, "
                  + "request_id, node FROM audit_log WHERE seq IS NULL ORDER BY id").execute()
              .compose(rows -> vertx.executeBlocking(() -> link(rows, position, hash), false))
              .compose(chained -> write(conn, chained, position));
        });
  }

  private static Chained link(RowSet<Row> rows, long position, byte[] hash) {
    List<Tuple> updates = new ArrayList<>(rows.size());
    long at = position;
    byte[] previous = hash;
    byte[] current = hash;
    for (Row row : rows) {
      previous = current;
      current = ChainHash.link(previous, ChainHash.content(AuditLog.Entry.fromRow(row)));
      at++;
      updates.add(Tuple.of(at, Buffer.buffer(previous), Buffer.buffer(current), row.getLong("id")));
    }
    return new Chained(updates, at, previous, current);
  }

  private Future<Integer> write(SqlConnection conn, Chained chained, long firstAfter) {
    if (chained.rows().isEmpty()) {
      return conn.query("UPDATE audit_chain_head SET legacy_chained = true").execute().map(0);
    }
    return conn.preparedQuery("UPDATE audit_log SET seq = $1, prev_hash = $2, hash = $3 WHERE id = $4")
        .executeBatch(chained.rows())
        .compose(v -> conn.preparedQuery("UPDATE audit_chain_head SET seq = $1, prev_hash = $2, hash = $3, "
                + "legacy_chained = true, legacy_first = $4")
            .execute(Tuple.of(chained.position(), Buffer.buffer(chained.previous()), Buffer.buffer(chained.hash()),
                firstAfter + 1)))
        .map(chained.rows().size());
  }
}
