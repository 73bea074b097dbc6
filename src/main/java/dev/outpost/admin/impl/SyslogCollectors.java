package dev.outpost.admin.impl;

import dev.outpost.admin.AuditConfig;
import dev.outpost.http.Tls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The syslog collectors audit entries go to, over TLS (RFC 5425). Syslog has no acknowledgement, so a delivery is one
 * connection: the messages, then this side's close_notify, then the collector's own close, which it sends only once
 * it has read everything before it. A delivery that does not see that close did not happen and is made again, so
 * that a collector that stops or restarts loses nothing (it may see a delivery twice; each message carries its
 * position and entry id). Blocking: call on a worker.
 */
final class SyslogCollectors {

  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  /** How long a collector may take to read a delivery and close its side. */
  static final Duration READ_TIMEOUT = Duration.ofSeconds(15);

  private final List<String> collectors;
  private final SSLContext tls;

  SyslogCollectors(List<String> collectors, SSLContext tls) {
    this.collectors = List.copyOf(collectors);
    this.tls = Objects.requireNonNull(tls);
  }

  /** The collectors of the configuration, trusted by its CA file or else the Java runtime's trust store. */
  static SyslogCollectors of(AuditConfig.Syslog config) throws IOException, GeneralSecurityException {
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    if (config.caFile().isPresent()) {
      trust.init(trustStore(config.caFile().get()));
    } else {
      trust.init((KeyStore) null);
    }
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, trust.getTrustManagers(), null);
    return new SyslogCollectors(config.collectors(), context);
  }

  List<String> addresses() {
    return collectors;
  }

  /**
   * Delivers framed messages to the first collector that takes all of them.
   *
   * @return the collector that confirmed them
   * @throws IOException naming each collector and why it did not
   */
  String deliver(List<byte[]> messages) throws IOException {
    List<String> reasons = new ArrayList<>();
    for (String collector : collectors) {
      try {
        deliverTo(collector, messages);
        return collector;
      } catch (IOException | RuntimeException e) {
        reasons.add(collector + ": " + reason(e));
      }
    }
    throw new IOException(String.join("; ", reasons));
  }

  private void deliverTo(String collector, List<byte[]> messages) throws IOException {
    int colon = collector.lastIndexOf(':');
    String host = collector.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(collector.substring(colon + 1));
    Socket plain = new Socket();
    try {
      plain.connect(new InetSocketAddress(host, port), (int) CONNECT_TIMEOUT.toMillis());
      plain.setSoTimeout((int) READ_TIMEOUT.toMillis());
      try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(plain, host, port, true)) {
        SSLParameters parameters = Tls.jdkParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the collector
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        OutputStream out = socket.getOutputStream();
        for (byte[] message : messages) {
          out.write(message);
        }
        out.flush();
        socket.shutdownOutput();
        awaitClose(socket.getInputStream());
      }
    } finally {
      plain.close();
    }
  }

  /** Reads until the collector closes its side; it sends nothing else on a syslog connection. */
  private static void awaitClose(InputStream in) throws IOException {
    byte[] ignored = new byte[256];
    while (in.read(ignored) >= 0) {
      // a collector that answers something is still read to its close
    }
  }

  private static KeyStore trustStore(Path caFile) throws IOException, GeneralSecurityException {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(caFile)) {
      int i = 0;
      for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("collector-ca-" + i++, certificate);
      }
    }
    return store;
  }

  private static String reason(Exception e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return "Read timed out".equals(message) ? "it did not close the delivery within " + READ_TIMEOUT.toSeconds()
        + " s" : message;
  }
}
