package dev.outpost.db;

import java.util.Objects;

/**
 * Where a replicated embedded PostgreSQL listens for the site's other nodes besides 127.0.0.1: the node's cluster
 * address and a fixed port, since its peers must know where to reach it (a standby streams from there, a follower's
 * pool connects there).
 *
 * @param address an address of this host, as {@code listen_addresses} takes it
 * @param port the port for both listeners, 1-65535
 */
public record PeerListener(String address, int port) {

  public PeerListener {
    Objects.requireNonNull(address, "address");
    if (address.isBlank() || address.contains(",") || address.contains("'")) {
      throw new IllegalArgumentException("not one listen address: '" + address + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }
}
