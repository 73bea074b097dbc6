package dev.outpost.hosts;

import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;

/**
 * What the agent endpoint reports about the session hosts connected to this appliance node. The
 * implementation forwards it to the broker (a separate hub's through the tunnel, the in-process hub role's
 * directly). Calls may come from any event-loop thread; futures complete on the caller's context.
 */
public interface HostEvents {

  /** The broker's answer to a registration: which TCP ports the agent must watch, and how often to report. */
  record Registered(List<Integer> ports, Duration heartbeatInterval) {
    public Registered {
      ports = List.copyOf(ports);
    }
  }

  /** A host's agent connected (or reconnected) and introduced itself. */
  Future<Registered> registered(HostRegistration registration);

  /** A periodic report; fails with a 404 client error when the broker no longer knows the host. */
  Future<Void> heartbeat(Heartbeat heartbeat);

  /** The agent's link closed or went silent; the broker treats the host as gone. */
  Future<Void> lost(String hostId, String reason);
}
