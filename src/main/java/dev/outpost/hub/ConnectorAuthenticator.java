package dev.outpost.hub;

import io.vertx.core.Future;
import java.security.cert.Certificate;
import java.util.List;

/** Decides which resource location (if any) a connecting appliance speaks for. */
@FunctionalInterface
public interface ConnectorAuthenticator {

  /**
   * The location name for this appliance, or a failed future when it is not accepted.
   *
   * @param bearer the bearer credential presented, or an empty string
   * @param peerCertificates the TLS client certificate chain presented, or an empty list
   */
  Future<String> authenticate(String bearer, List<Certificate> peerCertificates);

  /** Accepts nothing. */
  static ConnectorAuthenticator none() {
    return (bearer, peer) -> Future.failedFuture(new IllegalArgumentException("no resource location is enrolled"));
  }

  /** Tries this authenticator, then {@code other}. */
  default ConnectorAuthenticator or(ConnectorAuthenticator other) {
    return (bearer, peer) -> authenticate(bearer, peer).recover(e -> other.authenticate(bearer, peer));
  }
}
