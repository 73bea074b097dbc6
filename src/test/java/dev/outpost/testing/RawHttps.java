package dev.outpost.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Sends bytes as they are over TLS to an Outpost listener and reads what comes back until the server closes: for
 * requests no HTTP client would send (broken framing, raw control characters, malformed percent-encoding).
 */
public final class RawHttps {

  /** An answer as read off the wire; header names in lower case. */
  public record Answer(int status, Map<String, String> headers, String body, String raw) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private static final Pattern CONTENT_LENGTH = Pattern.compile("\r\ncontent-length: *(\\d+)");

  private final SSLContext tls;
  private final int port;

  public RawHttps(Path caCertificate, int port) {
    this.tls = SiteClient.trusting(caCertificate);
    this.port = port;
  }

  public int port() {
    return port;
  }

  /** A new TLS connection to the listener, handshake done. */
  public SSLSocket connect() throws IOException {
    SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket();
    socket.connect(new InetSocketAddress("localhost", port), 5_000);
    socket.setSoTimeout(30_000);
    socket.startHandshake();
    return socket;
  }

  /**
   * Writes {@code request} on a new connection and reads until the server closes it (send
   * {@code Connection: close} on requests the server would otherwise keep open). Empty when the server closed
   * without answering.
   */
  public Optional<Answer> exchange(byte[] request) throws IOException {
    try (SSLSocket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      try {
        out.write(request);
        out.flush();
      } catch (IOException e) {
        // the server may refuse and close before reading all of an oversized request: read what it said
      }
      byte[] answer = readUntilClosed(socket.getInputStream());
      return answer.length == 0 ? Optional.empty() : Optional.of(parse(answer));
    }
  }

  public Optional<Answer> exchange(String request) throws IOException {
    return exchange(request.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A kept-alive connection for many well-framed requests in a row: saves a TLS handshake per request. It opens a
   * new connection when the server closed the last one.
   */
  public final class KeptAlive implements AutoCloseable {
    private SSLSocket socket;

    /** Sends one request and reads its answer; empty when the server closed without answering. */
    public Optional<Answer> send(byte[] request) throws IOException {
      boolean reused = socket != null;
      if (socket == null) {
        socket = connect();
      }
      byte[] answer;
      try {
        socket.getOutputStream().write(request);
        socket.getOutputStream().flush();
        answer = readUntilClosed(socket.getInputStream());
      } catch (IOException e) {
        answer = new byte[0];
      }
      if (answer.length == 0) {
        close();
        // a kept-alive connection the server had closed before this request: try once on a fresh one
        return reused ? send(request) : Optional.empty();
      }
      Answer parsed = parse(answer);
      if ("close".equalsIgnoreCase(parsed.header("connection"))) {
        close();
      }
      return Optional.of(parsed);
    }

    @Override
    public void close() throws IOException {
      if (socket != null) {
        socket.close();
        socket = null;
      }
    }
  }

  public KeptAlive keptAlive() {
    return new KeptAlive();
  }

  /**
   * Reads one response: until its declared length or last chunk has arrived, or else until the server closes (a
   * server may answer before it has read the whole request, and then keep the connection open for its rest).
   */
  private static byte[] readUntilClosed(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        bytes.write(buffer, 0, n);
        if (complete(bytes.toByteArray())) {
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      throw new IOException("the server neither answered nor closed within 30 s; read so far: "
          + bytes.toString(StandardCharsets.ISO_8859_1), e);
    } catch (IOException e) {
      // a reset after the answer (the server closes without reading the rest of the request)
    }
    return bytes.toByteArray();
  }

  private static boolean complete(byte[] bytes) {
    String raw = new String(bytes, StandardCharsets.ISO_8859_1);
    int headEnd = raw.indexOf("\r\n\r\n");
    if (headEnd < 0) {
      return false;
    }
    String head = raw.substring(0, headEnd).toLowerCase(Locale.ROOT);
    if (head.startsWith("http/1.1 101 ")) {
      return true; // switched protocols: what follows is not HTTP
    }
    Matcher length = CONTENT_LENGTH.matcher(head);
    if (length.find()) {
      return bytes.length - headEnd - 4 >= Long.parseLong(length.group(1));
    }
    return head.contains("transfer-encoding: chunked") && raw.endsWith("0\r\n\r\n");
  }

  /** Parses an HTTP/1.1 response: status line, headers, then a body by length, chunks or until the end. */
  static Answer parse(byte[] bytes) {
    String raw = new String(bytes, StandardCharsets.UTF_8);
    int headEnd = raw.indexOf("\r\n\r\n");
    String head = headEnd < 0 ? raw : raw.substring(0, headEnd);
    String rest = headEnd < 0 ? "" : raw.substring(headEnd + 4);
    String[] lines = head.split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    int status = statusLine.length > 1 && statusLine[1].matches("\\d{3}") ? Integer.parseInt(statusLine[1]) : -1;
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    String body = "chunked".equalsIgnoreCase(headers.get("transfer-encoding")) ? dechunk(rest) : rest;
    return new Answer(status, headers, body, raw);
  }

  private static String dechunk(String chunked) {
    StringBuilder body = new StringBuilder();
    int at = 0;
    while (at < chunked.length()) {
      int lineEnd = chunked.indexOf("\r\n", at);
      if (lineEnd < 0) {
        break;
      }
      int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        break;
      }
      body.append(chunked, lineEnd + 2, Math.min(chunked.length(), lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    return body.toString();
  }
}
