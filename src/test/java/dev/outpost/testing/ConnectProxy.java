package dev.outpost.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small, real HTTP CONNECT proxy for tests, like the one a customer's network puts between an appliance and
 * the internet: it reads {@code CONNECT host:port}, checks basic credentials when it has some (407 otherwise),
 * dials the target and splices the two sockets. It records every tunnel it opened and every request it refused.
 */
public final class ConnectProxy implements AutoCloseable {

  private static final int MAX_HEADER_BYTES = 16 * 1024;

  private final String expectedAuthorization;
  private final List<String> tunnels = new CopyOnWriteArrayList<>();
  private final List<String> refused = new CopyOnWriteArrayList<>();
  private NetServer server;
  private NetClient client;

  private ConnectProxy(String user, String password) {
    this.expectedAuthorization = user == null ? null : "Basic " + Base64.getEncoder()
        .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  /** Starts a proxy on a free loopback port; {@code user} null for one that asks for no credentials. */
  public static ConnectProxy start(Vertx vertx, String user, String password) {
    ConnectProxy proxy = new ConnectProxy(user, password);
    proxy.client = vertx.createNetClient();
    proxy.server = vertx.createNetServer().connectHandler(proxy::accept);
    Await.join(proxy.server.listen(0, "127.0.0.1"));
    return proxy;
  }

  public int port() {
    return server.actualPort();
  }

  /** {@code http://127.0.0.1:PORT}, with {@code user:password@} when given. */
  public String url(String user, String password) {
    return "http://" + (user == null ? "" : user + ":" + password + "@") + "127.0.0.1:" + port();
  }

  /** The targets ({@code host:port}) of the tunnels opened so far, in order. */
  public List<String> tunnels() {
    return List.copyOf(tunnels);
  }

  /** The targets of the CONNECT requests refused for missing or wrong credentials. */
  public List<String> refused() {
    return List.copyOf(refused);
  }

  private void accept(NetSocket socket) {
    Buffer head = Buffer.buffer();
    socket.handler(data -> {
      head.appendBuffer(data);
      String text = head.toString(StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length() > MAX_HEADER_BYTES) {
          socket.close();
        }
        return;
      }
      socket.handler(null);
      socket.pause();
      request(socket, text.substring(0, end), head.getBuffer(end + 4, head.length()));
    });
  }

  private void request(NetSocket socket, String header, Buffer early) {
    String[] lines = header.split("\r\n");
    String[] requestLine = lines[0].split(" ");
    if (requestLine.length != 3 || !"CONNECT".equals(requestLine[0])) {
      answer(socket, "405 Method Not Allowed");
      return;
    }
    String target = requestLine[1];
    if (expectedAuthorization != null && !expectedAuthorization.equals(header(lines, "proxy-authorization"))) {
      refused.add(target);
      answer(socket, "407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"");
      return;
    }
    int colon = target.lastIndexOf(':');
    String host = target.substring(0, colon).replace("[", "").replace("]", "");
    int port = Integer.parseInt(target.substring(colon + 1));
    client.connect(port, host).onSuccess(upstream -> {
      tunnels.add(target);
      socket.write("HTTP/1.1 200 Connection established\r\n\r\n");
      if (early.length() > 0) {
        upstream.write(early);
      }
      socket.pipeTo(upstream);
      upstream.pipeTo(socket);
      socket.resume();
    }).onFailure(e -> answer(socket, "502 Bad Gateway"));
  }

  private static String header(String[] lines, String name) {
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0 && lines[i].substring(0, colon).strip().toLowerCase(Locale.ROOT).equals(name)) {
        return lines[i].substring(colon + 1).strip();
      }
    }
    return null;
  }

  private static void answer(NetSocket socket, String status) {
    socket.write("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .onComplete(ar -> socket.close());
  }

  @Override
  public void close() {
    Await.join(server.close().compose(v -> client.close()));
  }
}
