package dev.outpost.db;

import dev.outpost.crypto.SecretBox;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key that seals the secrets a site stores in its database (directories' bind passwords, lease signing keys).
 * The database keeps it ({@value #TABLE}) sealed under a key derived from {@code cluster.secret},
 * so that every node that shares the database and the secret opens it; each node keeps a copy in its data dir
 * ({@code secrets/directory.key}), which backups carry.
 *
 * <p>At start: the database's key when it has one (a node without the file takes it; a node whose file differs, or
 * whose cluster secret does not open it, is refused); else the node's file, or a new key, which the database then
 * keeps (a site from before the database kept it). A file that does not open what the database already holds sealed
 * is never stored. Nodes that start together agree under an advisory lock.
 */
public final class StoredSecretsKey {

  /** The table that keeps the sealed key (one row). */
  public static final String TABLE = "stored_secrets_key";
  private static final Logger LOG = LoggerFactory.getLogger(StoredSecretsKey.class);
  private static final long LOCK_KEY = 0x6f7574706f73746bL; // "outpostk"

  /** A value a feature stored sealed under the key: a key that opens it is the one the database's secrets use. */
  public record Sealed(String purpose, String value) {

    public Sealed {
      Objects.requireNonNull(purpose);
      Objects.requireNonNull(value);
    }
  }

  /** Reads one sealed value of a feature's table, if it holds any. */
  @FunctionalInterface
  public interface SealedSample {
    Future<Optional<Sealed>> read(SqlConnection conn);
  }

  /** What the database said: the key, whether this node must keep a copy of it, and what changed (or null). */
  private record Outcome(SecretBox key, boolean copyToFile, String how) {
  }

  private final Vertx vertx;
  private final Database db;
  private final SecretBox cluster;
  private final Path keyFile;
  private final List<SealedSample> samples;

  /**
   * @param cluster the key derived from {@code cluster.secret} for this purpose
   * @param keyFile this node's copy ({@code <data-dir>/secrets/directory.key})
   * @param samples where the database's secrets are, to check a key that the database does not keep yet
   */
  public StoredSecretsKey(Vertx vertx, Database db, SecretBox cluster, Path keyFile, List<SealedSample> samples) {
    this.vertx = Objects.requireNonNull(vertx);
    this.db = Objects.requireNonNull(db);
    this.cluster = Objects.requireNonNull(cluster);
    this.keyFile = Objects.requireNonNull(keyFile);
    this.samples = List.copyOf(samples);
  }

  /**
   * The key for this node.
   *
   * @return fails with an {@link IllegalStateException} whose message is one line for the admin (the file or
   *     {@code cluster.secret}, and the fix) when this node cannot use the database's key
   */
  public Future<SecretBox> open() {
    return vertx.executeBlocking(() -> SecretBox.read(keyFile), false)
        .recover(e -> Future.failedFuture(new IllegalStateException("cannot read " + keyFile + ": "
            + e.getMessage(), e)))
        .compose(local -> db.transaction(conn -> conn.query("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")")
            .execute()
            .compose(v -> conn.query("SELECT sealed_key FROM " + TABLE).execute())
            .compose(rows -> rows.size() > 0 ? Future.succeededFuture(adopt(rows, local)) : keep(conn, local))))
        .compose(this::copyIfNeeded);
  }

  /** The database's key, which this node's cluster secret must open and its file, if any, must equal. */
  private Outcome adopt(RowSet<Row> rows, Optional<SecretBox> local) {
    SecretBox stored;
    try {
      stored = SecretBox.unsealWith(cluster, rows.iterator().next().getString("sealed_key"));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("cluster.secret: this node's cluster secret does not open the key for stored "
          + "secrets that the database keeps (sealed under the cluster.secret of the nodes that use this database); "
          + "set their cluster.secret here (outpost appliance join-command on one of them prints it)");
    }
    if (local.isPresent() && !local.get().sameKeyAs(stored)) {
      throw new IllegalStateException(keyFile + " holds another key for stored secrets than the one the database "
          + "keeps (which the other nodes that use this database share); move that file away and start again: this "
          + "node then takes the database's key and keeps a copy there");
    }
    return new Outcome(stored, local.isEmpty(), local.isEmpty() ? "Took the key for stored secrets from the database"
        : null);
  }

  /** No key in the database yet: this node's (or a new one) is kept there, if it opens what is stored already. */
  private Future<Outcome> keep(SqlConnection conn, Optional<SecretBox> local) {
    SecretBox key = local.orElseGet(SecretBox::generate);
    return checkSamples(conn, key, local.isPresent())
        .compose(v -> conn.preparedQuery("INSERT INTO " + TABLE + " (sealed_key) VALUES ($1)")
            .execute(Tuple.of(key.sealedUnder(cluster))))
        .map(v -> new Outcome(key, local.isEmpty(), local.isPresent()
            ? "Stored this node's key for stored secrets in the database, sealed under cluster.secret"
            : "Made the key for stored secrets and stored it in the database, sealed under cluster.secret"));
  }

  private Future<Void> checkSamples(SqlConnection conn, SecretBox key, boolean fromFile) {
    Future<Void> chain = Future.succeededFuture();
    for (SealedSample sample : samples) {
      chain = chain.compose(v -> sample.read(conn)).map(found -> {
        found.ifPresent(sealed -> {
          try {
            key.open(sealed.purpose(), sealed.value());
          } catch (IllegalArgumentException e) {
            throw new IllegalStateException(fromFile
                ? keyFile + " does not open the secrets the database already holds (sealed under another node's "
                    + "key); copy secrets/directory.key from the node that stored them to " + keyFile
                    + " and start again"
                : "the database holds secrets sealed under a key this node does not have; copy "
                    + "secrets/directory.key from a node that used this database to " + keyFile + " and start again");
          }
        });
        return null;
      });
    }
    return chain;
  }

  /** Keeps a copy of the database's key in the data dir, where backups take it. */
  private Future<SecretBox> copyIfNeeded(Outcome outcome) {
    Future<Void> copied = outcome.copyToFile()
        ? vertx.executeBlocking(() -> {
          outcome.key().write(keyFile);
          return null;
        }, false)
        : Future.succeededFuture();
    return copied
        .recover(e -> Future.failedFuture(new IllegalStateException("cannot write " + keyFile + ": "
            + (e instanceof IOException ? e.getMessage() : e.toString()), e)))
        .map(v -> {
          if (outcome.how() != null) {
            LOG.info("{}{}", outcome.how(), outcome.copyToFile() ? "; a copy is in " + keyFile : "");
          }
          return outcome.key();
        });
  }
}
