package dev.outpost.lease.impl;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/** The hub as an appliance's lease components reach it: requests over the tunnel. */
public interface Upstream {

  /** Sends a request; fails with 503 when the hub is not connected. */
  Future<JsonObject> request(String op, JsonObject body);

  /** Whether the hub answered recently. */
  boolean reachable();
}
