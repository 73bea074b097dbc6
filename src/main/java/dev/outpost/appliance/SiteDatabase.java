package dev.outpost.appliance;

import io.vertx.core.Future;

/**
 * The part the site's database plays when the site's authority moves: nothing with one shared PostgreSQL
 * ({@link #SHARED}); with replicated embedded databases ({@link ReplicatedDatabase}) the node about to take the
 * authority promotes its standby first, and every other node's database follows the new primary.
 */
interface SiteDatabase {

  /** One database for every node (an external one, or a node's own with a separate hub): nothing moves. */
  SiteDatabase SHARED = new SiteDatabase() {
  };

  /** Runs on the node about to start a term, before it takes the site's lock in the database. */
  default Future<Void> beforeTerm() {
    return Future.succeededFuture();
  }

  /** Runs on every node when {@code node} began a term. */
  default void holderChanged(String node) {
  }

  /** Stops what this object started (the embedded server); never fails. */
  default Future<Void> stop() {
    return Future.succeededFuture();
  }
}
