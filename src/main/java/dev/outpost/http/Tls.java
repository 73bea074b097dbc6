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
import io.vertx.core.net.TCPSSLOptions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;

/**
 * TLS settings shared by every listener and outbound link: TLS 1.2 and 1.3 only, AEAD cipher suites only, with the
 * site's certificates. Every server and client of Outpost, Vert.x or JDK, takes its protocols and suites from here.
 */
public final class Tls {

  public static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");

  /**
   * The only cipher suites Outpost offers or accepts, in the JDK's names (Netty maps them for BoringSSL): the TLS 1.3
   * suites, and on TLS 1.2 forward-secret ECDHE with AES-GCM or ChaCha20-Poly1305. No CBC suite and no SHA-1 MAC:
   * those are open to padding-oracle and Lucky13-style attacks. ECDSA suites serve the site's EC certificates, the
   * RSA ones any RSA certificate a client or server may hold.
   */
  public static final List<String> CIPHER_SUITES = List.of(
      "TLS_AES_128_GCM_SHA256",
      "TLS_AES_256_GCM_SHA384",
      "TLS_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private Tls() {
  }

  /** Restricts Vert.x options (servers, clients, the event bus) to {@link #PROTOCOLS} and {@link #CIPHER_SUITES}. */
  public static <T extends TCPSSLOptions> T restrict(T options) {
    options.setEnabledSecureTransportProtocols(PROTOCOLS);
    options.getEnabledCipherSuites().clear();
    CIPHER_SUITES.forEach(options::addEnabledCipherSuite);
    return options;
  }

  /**
   * Restricts JDK TLS parameters (an {@code SSLSocket}'s, or those of a {@code java.net.http.HttpClient}) to
   * {@link #PROTOCOLS} and {@link #CIPHER_SUITES}; returns {@code params}.
   */
  public static SSLParameters restrict(SSLParameters params) {
    params.setProtocols(PROTOCOLS.toArray(String[]::new));
    params.setCipherSuites(CIPHER_SUITES.toArray(String[]::new));
    return params;
  }

  /** JDK TLS parameters with only {@link #PROTOCOLS} and {@link #CIPHER_SUITES}, for a JDK HTTP client. */
  public static SSLParameters jdkParameters() {
    return restrict(new SSLParameters());
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
   * fingerprint (an agent with an enrollment token, the admin CLI at first contact) can check it; during a site CA
   * rotation's overlap it goes on with the new CA certified by the old one and the old CA
   * ({@link SiteCertificates#chainPem}).
   */
  public static PemKeyCertOptions nodeKeyCert(SiteCertificates certs) {
    return new PemKeyCertOptions()
        .setCertValue(Buffer.buffer(certs.chainPem()))
        .setKeyValue(Buffer.buffer(certs.nodeKeyPem()));
  }

  /** The site CAs (during a rotation's overlap, both), as trust for peers' certificates. */
  public static PemTrustOptions siteTrust(SiteCertificates certs) {
    return new PemTrustOptions().addCertValue(Buffer.buffer(certs.trustPem()));
  }

  public static HttpServerOptions server(SiteCertificates certs, String host, int port) {
    HttpServerOptions options = restrict(new HttpServerOptions())
        .setHost(host)
        .setPort(port)
        .setSsl(true)
        .setSslEngineOptions(engine())
        .setKeyCertOptions(nodeKeyCert(certs))
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
    return restrict(new NetServerOptions())
        .setHost(host)
        .setPort(port)
        .setSsl(true)
        .setSslEngineOptions(engine())
        .setKeyCertOptions(nodeKeyCert(certs))
        .setSslHandshakeTimeout(handshakeTimeoutMs)
        .setSslHandshakeTimeoutUnit(TimeUnit.MILLISECONDS)
        .setTcpNoDelay(true);
  }

  /** Client options that trust only the site CA and check the host name. */
  public static WebSocketClientOptions siteWebSocketClient(SiteCertificates certs) {
    return restrict(new WebSocketClientOptions())
        .setSsl(true)
        .setTrustOptions(siteTrust(certs))
        .setKeyCertOptions(nodeKeyCert(certs))
        .setVerifyHost(true)
        .setConnectTimeout(5_000)
        .setMaxFrameSize(64 * 1024)
        .setMaxMessageSize(256 * 1024);
  }

  public static HttpClientOptions siteHttpClient(SiteCertificates certs) {
    return restrict(new HttpClientOptions())
        .setSsl(true)
        .setTrustOptions(siteTrust(certs))
        .setVerifyHost(true)
        .setConnectTimeout(5_000);
  }
}
