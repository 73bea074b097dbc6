package dev.outpost.gateway.impl;

import io.vertx.core.Future;

/**
 * How a gateway turns a presented ticket into the far end of a stream: an appliance consumes the ticket and
 * dials the session host ({@link HostDialer}); the hub asks an appliance of the ticket's location to open a data
 * channel back to it ({@link dev.outpost.gateway.HubRendezvous}). Called on the client connection's context.
 */
public interface StreamOpener {

  /**
   * What the client presented.
   *
   * @param userId the user the client proved to be (bearer token), who must own the ticket; {@code null} if none
   * @param location the resource location the client named (hub rendezvous only); {@code null} if none
   */
  record Request(String ticket, String userId, String location) {
  }

  /** A stream whose far end is connected and paused, for the session {@code sessionId}. */
  record Opened(String sessionId, Splice.End far) {
  }

  Future<Opened> open(Request request);
}
