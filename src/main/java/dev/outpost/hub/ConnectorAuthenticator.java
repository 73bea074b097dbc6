package dev.outpost.hub;

import io.vertx.core.Future;

/** Decides which resource location (if any) a connecting appliance speaks for. */
@FunctionalInterface
public interface ConnectorAuthenticator {

  /** The location name for this credential, or a failed future when it is not accepted. */
  Future<String> authenticate(String credential);

  /** Accepts nothing: a hub with no enrolled resource locations yet. */
  static ConnectorAuthenticator none() {
    return credential -> Future.failedFuture(new IllegalArgumentException("no resource location is enrolled with this hub"));
  }
}
