package dev.outpost.lease.impl;

import dev.outpost.db.Database;
import dev.outpost.lease.LeaseOperations;
import dev.outpost.lease.Revocation;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where lease revocations made on an appliance wait for the site's lease authority: nowhere when the authority runs
 * in this process on the same database ({@link #SHARED}), or in this appliance's database until a separate hub
 * takes them ({@link #toHub}). The node picks one at boot; the lease features never ask which.
 */
public interface RevocationOutbox {

  /** The lease authority reads the database the revocation is stored in: nothing to hand over. */
  RevocationOutbox SHARED = new RevocationOutbox() {
    @Override
    public boolean storedAsForwarded() {
      return true;
    }

    @Override
    public Future<Void> forward(Upstream hub, String node) {
      return Future.succeededFuture();
    }
  };

  /** The {@code forwarded} mark a revocation made here is stored with. */
  boolean storedAsForwarded();

  /** Hands what waits to the hub, oldest first; never fails (what is not handed over waits for the next time). */
  Future<Void> forward(Upstream hub, String node);

  /** Revocations wait in {@code db} until a separate hub takes them. */
  static RevocationOutbox toHub(Database db) {
    Objects.requireNonNull(db);
    Logger log = LoggerFactory.getLogger(RevocationOutbox.class);
    RevocationStore store = new RevocationStore();
    return new RevocationOutbox() {
      @Override
      public boolean storedAsForwarded() {
        return false;
      }

      @Override
      public Future<Void> forward(Upstream hub, String node) {
        return store.unforwarded(db.pool())
            .compose(list -> {
              Future<Void> chain = Future.succeededFuture();
              for (Revocation r : list) {
                chain = chain.compose(v -> hub.request(LeaseOperations.REVOKE, new JsonObject()
                        .put("revocation", r.toJson()).put("node", node))
                    .compose(answer -> store.markForwarded(db.pool(), r.id()))
                    .onSuccess(x -> log.info("Handed lease revocation {} to the hub", r.id())));
              }
              return chain;
            })
            .recover(e -> {
              log.debug("Lease revocations not handed to the hub yet: {}", e.getMessage());
              return Future.succeededFuture();
            });
      }
    };
  }
}
