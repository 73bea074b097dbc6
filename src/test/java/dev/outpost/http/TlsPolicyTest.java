package dev.outpost.http;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import dev.outpost.crypto.SiteCertificates;
import dev.outpost.testing.SharedSite;
import dev.outpost.testing.TestHub;
import dev.outpost.testing.TestSite;
import dev.outpost.testing.TlsScan;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An sslscan of every TLS port of a running appliance and hub, and of a listener on the JDK's TLS: TLS 1.0 and
 * 1.1, every CBC or SHA-1-MAC suite and every other suite outside {@link Tls#CIPHER_SUITES} fail the handshake;
 * TLS 1.2 with an AEAD suite and TLS 1.3 succeed. Outpost's clients refuse a server that offers only CBC suites.
 */
@SharedSite
@ExtendWith(VertxExtension.class)
class TlsPolicyTest {

  private static final String STORE_PASSWORD = "scan-store-password";

  @TempDir
  static Path tmp;
  static TestSite site;
  static TestHub hub;
  static HttpServer jdkListener;
  static SiteCertificates certificates;

  @BeforeAll
  static void start(TestSite shared, Vertx vertx) throws Exception {
    site = shared;
    hub = TestHub.start(tmp.resolve("hub"), Map.of());
    certificates = SiteCertificates.loadOrCreate(tmp.resolve("jdk-tls"), "scan", List.of());
    // the same options as every listener, forced onto the JDK's TLS (the listeners use BoringSSL where it loads)
    jdkListener = await(vertx.createHttpServer(Tls.server(certificates, "127.0.0.1", 0)
        .setSslEngineOptions(new JdkSSLEngineOptions()))
        .requestHandler(request -> request.response().end("ok")).listen());
  }

  @AfterAll
  static void stop() {
    if (hub != null) {
      hub.close();
    }
  }

  @Test
  void everyTlsPortRefusesOldProtocolsAndNonAeadSuites() throws Exception {
    // GIVEN every TLS port of an appliance and a hub, a listener on the JDK's TLS, and the scanner's own server
    // that accepts everything (so that the scan is seen to find weak suites where they are offered)
    Map<String, Integer> targets = Map.of("appliance-https", site.httpsPort(), "appliance-gateway",
        site.node().gatewayPort(), "hub-https", hub.port(), "jdk-engine", jdkListener.actualPort());

    // WHEN a JDK client that may use every protocol and suite it has tries each of them on each port
    List<String[]> results = scan(targets);

    // THEN the scan is able to see weak suites: the control server accepts TLS 1.0, 1.1 and CBC suites with SHA-1
    Set<String> control = accepted(results, TlsScan.CONTROL);
    assertThat(control).anyMatch(hit -> hit.startsWith("TLSv1 "));
    assertThat(control).anyMatch(hit -> hit.startsWith("TLSv1.1 "));
    assertThat(control).anyMatch(hit -> hit.startsWith("TLSv1.2 ") && hit.contains("_CBC_") && hit.endsWith("_SHA"));
    List<String> weakTried = results.stream().filter(r -> r[0].equals("hub-https") && r[1].equals("TLSv1.2"))
        .map(r -> r[2]).filter(TlsPolicyTest::weak).toList();
    assertThat(weakTried).as("CBC and SHA-1 MAC suites of this JDK").hasSizeGreaterThan(5);

    // AND every Outpost port accepts only TLS 1.2 with an allowed AEAD suite, and TLS 1.3
    for (String target : targets.keySet()) {
      Set<String> hits = accepted(results, target);
      assertThat(hits).as(target + " accepted").allMatch(TlsPolicyTest::allowed)
          .contains("TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
              "TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
              "TLSv1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
              "TLSv1.3 TLS_AES_128_GCM_SHA256", "TLSv1.3 TLS_AES_256_GCM_SHA384");
    }
  }

  @Test
  void outpostClientsRefuseAServerThatOffersOnlyCbcSuites(Vertx vertx) throws Exception {
    // GIVEN a server with the site's certificate that offers only CBC suites on TLS 1.2
    try (WeakServer weak = new WeakServer(certificates, new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"})) {
      // WHEN the hub link and agent link client, the HTTP client of the relay, and the JDK client of the CLI
      // connect to it
      vertx.createWebSocketClient(Tls.siteWebSocketClient(certificates))
          .connect(new WebSocketConnectOptions().setHost("localhost").setPort(weak.port()).setURI("/"));
      vertx.createHttpClient(Tls.siteHttpClient(certificates))
          .request(new RequestOptions().setHost("localhost").setPort(weak.port()).setURI("/"));
      jdkClientGet(weak.port());

      // THEN each handshake fails on the server for want of a common suite
      for (String client : List.of("WebSocket client", "HTTP client", "JDK client")) {
        assertThat(weak.nextHandshake()).as(client).startsWith("failed");
      }
    }

    // AND the same clients complete the handshake with a server that offers an AEAD suite (the check can fail)
    try (WeakServer aead = new WeakServer(certificates, new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"})) {
      vertx.createWebSocketClient(Tls.siteWebSocketClient(certificates))
          .connect(new WebSocketConnectOptions().setHost("localhost").setPort(aead.port()).setURI("/"));
      vertx.createHttpClient(Tls.siteHttpClient(certificates))
          .request(new RequestOptions().setHost("localhost").setPort(aead.port()).setURI("/"));
      jdkClientGet(aead.port());
      for (String client : List.of("WebSocket client", "HTTP client", "JDK client")) {
        assertThat(aead.nextHandshake()).as(client).isEqualTo("completed");
      }
    }
  }

  /** Fires a request from a JDK client with Outpost's parameters; its outcome is read on the server side. */
  private static void jdkClientGet(int port) {
    HttpClient http = HttpClient.newBuilder().sslContext(dev.outpost.testing.SiteClient.trusting(
        tmp.resolve("jdk-tls/ca.crt"))).sslParameters(Tls.jdkParameters()).build();
    http.sendAsync(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/"))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
  }

  private static List<String[]> scan(Map<String, Integer> targets) throws Exception {
    Path keyStore = tmp.resolve("control.p12");
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    store.setKeyEntry("node", certificates.nodeKey(), STORE_PASSWORD.toCharArray(),
        new Certificate[] {certificates.nodeCertificate(), certificates.caCertificate()});
    try (OutputStream out = Files.newOutputStream(keyStore)) {
      store.store(out, STORE_PASSWORD.toCharArray());
    }
    List<String> names = targets.entrySet().stream().map(t -> t.getKey() + "=127.0.0.1:" + t.getValue()).toList();
    Process scanner = new ProcessBuilder(TlsScan.command(TlsScan.securityOverride(tmp), keyStore, STORE_PASSWORD,
        names)).redirectError(tmp.resolve("scan.err").toFile()).start();
    String output = new String(scanner.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(scanner.waitFor(2, TimeUnit.MINUTES)).as("the scan finished").isTrue();
    assertThat(scanner.exitValue()).as(Files.readString(tmp.resolve("scan.err"))).isZero();
    return output.lines().map(line -> line.split("\t")).filter(f -> f.length == 4).toList();
  }

  private static Set<String> accepted(List<String[]> results, String target) {
    return results.stream().filter(r -> r[0].equals(target) && r[3].equals("accepted")).map(r -> r[1] + " " + r[2])
        .collect(Collectors.toSet());
  }

  private static boolean weak(String suite) {
    return suite.contains("_CBC_") || suite.endsWith("_SHA") || suite.endsWith("_MD5");
  }

  private static boolean allowed(String hit) {
    String protocol = hit.substring(0, hit.indexOf(' '));
    String suite = hit.substring(hit.indexOf(' ') + 1);
    boolean tls13Suite = !suite.contains("_WITH_");
    return Tls.CIPHER_SUITES.contains(suite) && !weak(suite)
        && (protocol.equals("TLSv1.3") && tls13Suite || protocol.equals("TLSv1.2") && !tls13Suite);
  }

  /** A JDK TLS server with the given suites on TLS 1.2 that records how each handshake ended. */
  private static final class WeakServer implements AutoCloseable {
    private final SSLServerSocket server;
    private final BlockingQueue<String> handshakes = new LinkedBlockingQueue<>();

    WeakServer(SiteCertificates certs, String[] suites) throws Exception {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("node", certs.nodeKey(), STORE_PASSWORD.toCharArray(),
          new Certificate[] {certs.nodeCertificate(), certs.caCertificate()});
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, STORE_PASSWORD.toCharArray());
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, new SecureRandom());
      server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 10,
          InetAddress.getLoopbackAddress());
      server.setEnabledProtocols(new String[] {"TLSv1.2"});
      server.setEnabledCipherSuites(suites);
      Thread acceptor = new Thread(this::accept, "weak-tls-server");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    /** How the next handshake ended: "completed" or "failed: why"; fails the test when none comes. */
    String nextHandshake() throws InterruptedException {
      String outcome = handshakes.poll(30, TimeUnit.SECONDS);
      assertThat(outcome).as("a client connected").isNotNull();
      return outcome;
    }

    private void accept() {
      List<SSLSocket> open = new ArrayList<>();
      while (!server.isClosed()) {
        try {
          SSLSocket socket = (SSLSocket) server.accept();
          open.add(socket);
          socket.setSoTimeout(10_000);
          try {
            socket.startHandshake();
            handshakes.add("completed");
          } catch (IOException e) {
            handshakes.add("failed: " + e.getMessage());
          }
        } catch (IOException e) {
          // closed
        }
      }
      open.forEach(s -> {
        try {
          s.close();
        } catch (IOException e) {
          // closing
        }
      });
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
