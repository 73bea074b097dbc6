package dev.outpost.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * An sslscan in the JDK: for each target it tries one TLS handshake per (protocol, cipher suite) the JDK supports
 * and prints which ones the server accepted. Run it in its own JVM with {@link #securityOverride} so that the JDK
 * client offers what its defaults disable (TLS 1.0/1.1, 3DES, ...), as an attacker's client would.
 *
 * <p>It also scans a control server of its own that accepts everything, so a caller can check that the scan
 * detects weak protocols and suites where they are offered. Output: one line per handshake,
 * {@code target<TAB>protocol<TAB>suite<TAB>accepted|refused}.
 */
public final class TlsScan {

  /** The target name of the scanner's own permissive server. */
  public static final String CONTROL = "control";

  private TlsScan() {
  }

  /**
   * A {@code java.security} override that lets the JDK client use every protocol and suite it implements (its
   * defaults refuse TLS 1.0/1.1 and some suites before they reach the wire).
   */
  public static Path securityOverride(Path dir) throws IOException {
    Path file = dir.resolve("scan.security");
    Files.writeString(file, "jdk.tls.disabledAlgorithms=\njdk.tls.legacyAlgorithms=\n");
    return file;
  }

  /**
   * The command that runs this scanner in a new JVM.
   *
   * @param keyStore a PKCS#12 key store (password {@code storePassword}) for the control server
   * @param targets {@code name=host:port} entries
   */
  public static List<String> command(Path securityOverride, Path keyStore, String storePassword,
      List<String> targets) throws Exception {
    String classes = Path.of(TlsScan.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Djava.security.properties=" + securityOverride, "-cp", classes, TlsScan.class.getName(),
        keyStore.toString(), storePassword));
    command.addAll(targets);
    return command;
  }

  public static void main(String[] args) throws Exception {
    SSLContext client = SSLContext.getInstance("TLS");
    client.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
    String[] suites = client.getSupportedSSLParameters().getCipherSuites();
    try (SSLServerSocket control = controlServer(Path.of(args[0]), args[1].toCharArray())) {
      Thread acceptor = new Thread(() -> acceptForever(control), "tls-scan-control");
      acceptor.setDaemon(true);
      acceptor.start();
      List<String> targets = new ArrayList<>(Arrays.asList(args).subList(2, args.length));
      targets.add(CONTROL + "=127.0.0.1:" + control.getLocalPort());
      for (String target : targets) {
        String name = target.substring(0, target.indexOf('='));
        String address = target.substring(target.indexOf('=') + 1);
        String host = address.substring(0, address.lastIndexOf(':'));
        int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        for (String protocol : List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")) {
          for (String suite : suites) {
            if (suite.endsWith("_SCSV")) {
              continue;
            }
            boolean accepted = handshake(client, host, port, protocol, suite);
            System.out.println(name + "\t" + protocol + "\t" + suite + "\t" + (accepted ? "accepted" : "refused"));
          }
        }
      }
    }
    System.out.flush();
  }

  private static boolean handshake(SSLContext client, String host, int port, String protocol, String suite) {
    try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket()) {
      socket.connect(new InetSocketAddress(host, port), 5_000);
      socket.setSoTimeout(10_000);
      socket.setEnabledProtocols(new String[] {protocol});
      socket.setEnabledCipherSuites(new String[] {suite});
      socket.startHandshake();
      return protocol.equals(socket.getSession().getProtocol()) && suite.equals(socket.getSession().getCipherSuite());
    } catch (IOException | IllegalArgumentException e) {
      return false;
    }
  }

  /** A server that offers every protocol and suite this JDK has, with the given key. */
  private static SSLServerSocket controlServer(Path keyStore, char[] password) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      store.load(in, password);
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(store, password);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keys.getKeyManagers(), null, new SecureRandom());
    SSLServerSocket server = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 50,
        java.net.InetAddress.getLoopbackAddress());
    server.setEnabledProtocols(server.getSupportedProtocols());
    server.setEnabledCipherSuites(server.getSupportedCipherSuites());
    return server;
  }

  private static void acceptForever(SSLServerSocket server) {
    while (!server.isClosed()) {
      try (SSLSocket socket = (SSLSocket) server.accept()) {
        socket.setSoTimeout(10_000);
        socket.startHandshake();
      } catch (IOException e) {
        // a refused handshake is what most probes produce; the client side reports it
      }
    }
  }

  /** The scan looks at what a server accepts, not at who it is. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
