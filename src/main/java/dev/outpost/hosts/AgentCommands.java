package dev.outpost.hosts;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Sends commands down to the agents connected to this appliance node. Commands are JSON objects
 * {@code {"command":"drain|undrain|logoff|disconnect", "sessionId":..., ...}} as documented in
 * {@code docs/protocols/agent-link.md}.
 */
public interface AgentCommands {

  /** Delivers a command to the host's agent; fails with 404 when that host's agent is not connected here. */
  Future<JsonObject> send(String hostId, JsonObject command);
}
