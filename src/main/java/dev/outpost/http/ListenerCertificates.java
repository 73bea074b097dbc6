package dev.outpost.http;

import dev.outpost.crypto.SiteCertificates;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's TLS listeners, and what they present: when the node's certificate is renewed or the site's CAs change,
 * {@link #reload()} gives every tracked listener the new key, chain and trusted CAs with Vert.x's
 * {@code updateSSLOptions}, without a restart. Connections open at that moment keep their session; new ones get the
 * new certificate. The instances of a listener that share one port share its TLS settings, so one of them is enough.
 */
public final class ListenerCertificates {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerCertificates.class);

  private record Tracked(String name, ServerSSLOptions base, boolean trustsPeers,
      Function<ServerSSLOptions, Future<Boolean>> update) {
  }

  private final SiteCertificates certificates;
  private final List<Tracked> listeners = new CopyOnWriteArrayList<>();

  public ListenerCertificates(SiteCertificates certificates) {
    this.certificates = Objects.requireNonNull(certificates);
  }

  /** Tracks an HTTPS listener started with {@code options} (its other TLS settings stay as they are). */
  public void track(String name, HttpServer server, NetServerOptions options) {
    track(name, options, ssl -> server.updateSSLOptions(ssl, true));
  }

  /** Tracks a TLS listener for raw TCP started with {@code options}. */
  public void track(String name, NetServer server, NetServerOptions options) {
    track(name, options, ssl -> server.updateSSLOptions(ssl, true));
  }

  private void track(String name, NetServerOptions options, Function<ServerSSLOptions, Future<Boolean>> update) {
    ServerSSLOptions base = options.getSslOptions().copy();
    listeners.add(new Tracked(name, base, base.getTrustOptions() != null, update));
  }

  /** Gives every listener the node's current key, chain and (where it asks peers for certificates) CAs. */
  public Future<Void> reload() {
    List<Future<Boolean>> updates = listeners.stream().map(this::reload).toList();
    return Future.join(updates).mapEmpty();
  }

  private Future<Boolean> reload(Tracked listener) {
    ServerSSLOptions ssl = listener.base().copy().setKeyCertOptions(Tls.nodeKeyCert(certificates));
    if (listener.trustsPeers()) {
      ssl.setTrustOptions(Tls.siteTrust(certificates));
    }
    Future<Boolean> updated;
    try {
      updated = listener.update().apply(ssl);
    } catch (RuntimeException e) {
      updated = Future.failedFuture(e);
    }
    return updated
        .onSuccess(v -> LOG.info("The {} listener presents the node certificate valid until {}", listener.name(),
            certificates.nodeCertificate().getNotAfter().toInstant()))
        .onFailure(e -> LOG.warn("The {} listener could not take the new certificate ({}); it keeps the old one "
            + "until the node restarts", listener.name(), e.getMessage()));
  }
}
