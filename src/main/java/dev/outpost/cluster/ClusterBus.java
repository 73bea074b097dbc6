package dev.outpost.cluster;

import dev.outpost.crypto.SiteCertificates;
import dev.outpost.http.Tls;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;

/**
 * The event bus between a site's nodes: mutual TLS on a fixed port ({@code cluster.bus-port}), with certificates
 * from the certificate authority every node derives from {@code cluster.secret} ({@link
 * SiteCertificates#busAuthority}). A program that reaches the port without such a certificate cannot send a
 * message, and an agent's or appliance's certificate from the site CA is refused too. Host names are not
 * checked: nodes dial each other by address.
 */
public final class ClusterBus {

  private ClusterBus() {
  }

  /**
   * @param host the address this node listens on and the others dial
   * @param port {@code cluster.bus-port}
   */
  public static EventBusOptions options(SiteCertificates bus, String host, int port) {
    EventBusOptions options = new EventBusOptions().setHost(host).setPort(port).setClusterPublicHost(host)
        .setClusterPublicPort(port);
    options.setSsl(true)
        .setKeyCertOptions(Tls.nodeKeyCert(bus))
        .setTrustOptions(Tls.siteTrust(bus))
        .setClientAuth(ClientAuth.REQUIRED);
    // the protocols and AEAD suites of every other TLS port
    Tls.restrict(options);
    // the event bus trusts every server unless told otherwise
    options.setTrustAll(false);
    return options;
  }
}
