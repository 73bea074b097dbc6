package dev.outpost.client;

import dev.outpost.http.Tls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One stream through the appliance's raw TLS gateway ({@code OUTPOST/1 <ticket>}, see docs/protocols/gateway.md),
 * opened with the ticket of a launch.
 */
final class TlsGatewayStream implements GatewayStream {

  private static final int MAX_LINE = 1024;

  private final SSLSocket socket;
  private final String sessionId;

  private TlsGatewayStream(SSLSocket socket, String sessionId) {
    this.socket = socket;
    this.sessionId = sessionId;
  }

  /**
   * Opens the stream at {@code address} (host:port). Fails with {@link GatewayUnreachable} when the gateway cannot
   * be reached, before the ticket was sent.
   */
  static GatewayStream open(SSLContext tls, String address, String ticket) {
    int colon = address.lastIndexOf(':');
    String host = address.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(address.substring(colon + 1));
    SSLSocket socket = null;
    try {
      socket = (SSLSocket) tls.getSocketFactory().createSocket();
      try {
        socket.connect(new InetSocketAddress(host, port), 10_000);
        socket.setTcpNoDelay(true);
        SSLParameters params = socket.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(Tls.restrict(params));
        socket.setSoTimeout(30_000);
        socket.startHandshake();
      } catch (IOException e) {
        throw new GatewayUnreachable("cannot reach the gateway at " + address + ": " + SiteTrust.rootMessage(e), e);
      }
      OutputStream out = socket.getOutputStream();
      out.write(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = readLine(socket.getInputStream());
      if (!answer.startsWith("OK ")) {
        throw new ClientFailure("the gateway refused the connection: "
            + (answer.startsWith("ERR ") ? answer.substring(4) : "'" + answer + "'"));
      }
      socket.setSoTimeout(0);
      return new TlsGatewayStream(socket, answer.substring(3));
    } catch (IOException e) {
      closeQuietly(socket);
      throw new ClientFailure("the gateway at " + address + " failed: " + SiteTrust.rootMessage(e), e);
    } catch (RuntimeException e) {
      closeQuietly(socket);
      throw e;
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c == -1) {
        if (line.size() == 0) {
          throw new IOException("the gateway closed the connection without an answer");
        }
        break;
      }
      if (line.size() >= MAX_LINE) {
        throw new IOException("the gateway's answer is too long");
      }
      line.write(c);
    }
    return line.toString(StandardCharsets.UTF_8).strip();
  }

  @Override
  public String sessionId() {
    return sessionId;
  }

  @Override
  public InputStream in() throws IOException {
    return socket.getInputStream();
  }

  @Override
  public OutputStream out() throws IOException {
    return socket.getOutputStream();
  }

  @Override
  public void close() {
    closeQuietly(socket);
  }

  private static void closeQuietly(java.io.Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // closing: nothing left to do
      }
    }
  }
}
