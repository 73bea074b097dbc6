package dev.outpost.lifecycle;

import io.vertx.core.Future;

/**
 * A part of a node that starts and stops: one per feature module. The role class (appliance, hub) builds each from
 * its inputs by constructor, starts them in order and stops them in reverse (see {@link Modules}).
 */
public interface Lifecycle {

  /** Starts the module; completes once it serves (or fails with a reason for the operator). */
  Future<Void> start();

  /** Stops what {@link #start} started; never fails. */
  default Future<Void> stop() {
    return Future.succeededFuture();
  }
}
