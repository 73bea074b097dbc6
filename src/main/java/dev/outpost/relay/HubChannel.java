package dev.outpost.relay;

/**
 * Where an appliance's requests for the hub role go: a separate hub over the outbound tunnel ({@link HubLink}),
 * or the hub role running in this process, reached without a socket. Features hold this and never ask which.
 */
public interface HubChannel extends Requests {

  /** Whether the hub answers now (for the in-process hub: once its services run). Safe from any thread. */
  boolean reachable();

  /** One line on the channel's state, for admins ({@code /admin/api/v1/nodes}); no secrets. */
  String describe();
}
