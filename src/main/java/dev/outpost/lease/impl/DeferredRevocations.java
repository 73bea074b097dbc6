package dev.outpost.lease.impl;

import dev.outpost.db.Database;
import dev.outpost.db.DatabaseUnavailableException;
import dev.outpost.db.DiskSpool;
import dev.outpost.lease.Revocation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Revocations an admin makes while PostgreSQL cannot be reached: they take effect at once where they are published
 * (the cluster, which keeps them on its disk), and their rows wait in a {@link DiskSpool} until the database
 * answers, also after a restart. Each is written once: the revocation id is the table's key.
 */
public final class DeferredRevocations {

  /** How often a non-empty spool is tried against the database. */
  static final Duration RETRY = Duration.ofSeconds(1);

  private final Database db;
  private final DiskSpool spool;
  private final RevocationStore store = new RevocationStore();

  public DeferredRevocations(Database db, DiskSpool spool) {
    this.db = Objects.requireNonNull(db);
    this.spool = Objects.requireNonNull(spool);
  }

  /** Writes what an earlier run left in the spool and keeps trying while it is not empty; idempotent. */
  public void start() {
    spool.replayEvery(RETRY, this::write);
  }

  /**
   * Keeps a revocation on disk for the database; fails (503) when the spool is full, since the revocation would
   * not be kept.
   *
   * @param forwarded whether it needs no forwarding to a separate hub
   */
  public Future<Void> defer(Revocation revocation, boolean forwarded) {
    return spool.append(List.of(new JsonObject().put("revocation", revocation.toJson()).put("forwarded", forwarded)))
        .compose(kept -> kept ? Future.succeededFuture() : Future.failedFuture(new DatabaseUnavailableException(
            "the database cannot be reached and the spool of revocations waiting for it is full", null)));
  }

  private Future<Void> write(List<JsonObject> spooled) {
    return db.transaction(conn -> {
      Future<Boolean> chain = Future.succeededFuture();
      for (JsonObject entry : spooled) {
        Revocation revocation = Revocation.fromJson(entry.getJsonObject("revocation"));
        boolean forwarded = entry.getBoolean("forwarded", true);
        chain = chain.compose(v -> store.insert(conn, revocation, forwarded));
      }
      return chain.mapEmpty();
    });
  }
}
