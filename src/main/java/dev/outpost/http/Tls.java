package dev.outpost.http;

import dev.outpost.crypto.SiteCertificates;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.OpenSSLEngineOptions;
import io.vertx.core.net.SSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** TLS settings shared by every listener and outbound link: TLS 1.2+ with the site's certificates. */
public final class Tls {

  public static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  private Tls() {
  }

  /**
   * BoringSSL (netty-tcnative) when it loads on this platform, else the JDK's TLS: several times the throughput
   * per core for the gateway's bulk streams. Logged once at start-up by {@link #engineDescription()}.
   */
  public static SSLEngineOptions engine() {
    return OpenSSLEngineOptions.isAvailable() ? new OpenSSLEngineOptions().setSessionCacheEnabled(true)
        : new JdkSSLEngineOptions();
  }

  /** Which TLS implementation the listeners use. */
  public static String engineDescription() {
    return OpenSSLEngineOptions.isAvailable() ? "BoringSSL (netty-tcnative)" : "the JDK's TLS";
  }

  /**
   * The node's key and its chain. The chain ends with the site CA so that a client holding only the CA's
   * fingerprint (an agent with an enrollment token, the admin CLI at first contact) can check it.
   */
  public static PemKeyCertOptions nodeKeyCert(SiteCertificates certs) {
    return new PemKeyCertOptions()
        .setCertValue(Buffer.buffer(certs.nodeCertificatePem() + certs.caPem()))
        .setKeyValue(Buffer.buffer(certs.nodeKeyPem()));
  }

  public static PemTrustOptions siteTrust(SiteCertificates certs) {
    return new PemTrustOptions().addCertValue(Buffer.buffer(certs.caPem()));
  }

  public static HttpServerOptions server(SiteCertificates certs, String host, int port) {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setSsl(true)
        .setSslEngineOptions(engine())
        .setKeyCertOptions(nodeKeyCert(certs))
        .setEnabledSecureTransportProtocols(PROTOCOLS)
        .setCompressionSupported(true)
        .setIdleTimeout(120);
    options.setMaxWebSocketFrameSize(64 * 1024).setMaxWebSocketMessageSize(256 * 1024);
    return options;
  }

  /**
   * The appliance's front door: like {@link #server}, and it asks clients for a certificate issued by the site
   * CA (agents authenticate with theirs). Asking is optional, so browsers and API clients without one are
   * served as before; a certificate from another CA fails the handshake.
   */
  public static HttpServerOptions frontDoor(SiteCertificates certs, String host, int port) {
    HttpServerOptions options = server(certs, host, port);
    options.setClientAuth(ClientAuth.REQUEST).setTrustOptions(siteTrust(certs));
    // Frames up to the message limit reach the endpoints, which enforce their own (smaller) limits with a clear
    // close reason; beyond it the transport drops the connection.
    options.setMaxWebSocketFrameSize(options.getMaxWebSocketMessageSize());
    return options;
  }

  /**
   * A TLS server for raw TCP listeners (the session gateway): the TLS handshake must finish within
   * {@code handshakeTimeoutMs}, so that connections that never speak TLS cannot pile up.
   */
  public static NetServerOptions netServer(SiteCertificates certs, String host, int port, long handshakeTimeoutMs) {
    return new NetServerOptions()
        .setHost(host)
        .setPort(port)
        .setSsl(true)
        .setSslEngineOptions(engine())
        .setKeyCertOptions(nodeKeyCert(certs))
        .setEnabledSecureTransportProtocols(PROTOCOLS)
        .setSslHandshakeTimeout(handshakeTimeoutMs)
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
        .setTcpNoDelay(true);
  }

  /** Client options that trust only the site CA and check the host name. */
  public static WebSocketClientOptions siteWebSocketClient(SiteCertificates certs) {
    return new WebSocketClientOptions()
        .setSsl(true)
        .setTrustOptions(siteTrust(certs))
        .setKeyCertOptions(nodeKeyCert(certs))
        .setVerifyHost(true)
        .setEnabledSecureTransportProtocols(PROTOCOLS)
        .setConnectTimeout(5_000)
        .setMaxFrameSize(64 * 1024)
        .setMaxMessageSize(256 * 1024);
  }

  public static HttpClientOptions siteHttpClient(SiteCertificates certs) {
    return new HttpClientOptions()
        .setSsl(true)
        .setTrustOptions(siteTrust(certs))
        .setVerifyHost(true)
        .setEnabledSecureTransportProtocols(PROTOCOLS)
        .setConnectTimeout(5_000);
  }
}
