package dev.outpost.relay;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Somewhere brokering requests can be sent as named operations with JSON bodies (see
 * {@link dev.outpost.broker.BrokerOperations}): the hub over the tunnel, or the cluster's leading appliance over
 * the event bus while the hub cannot be reached.
 */
@FunctionalInterface
public interface Requests {

  /** Sends one request; the answer (or the peer's problem) completes on the caller's context. */
  Future<JsonObject> request(String op, JsonObject body);
}
