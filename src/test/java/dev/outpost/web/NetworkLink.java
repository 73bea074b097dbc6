package dev.outpost.web;

import dev.outpost.testing.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The network between the browser and the appliance: a TCP relay on a fixed loopback port to the site's HTTPS
 * port. {@link #cut()} drops every connection and refuses new ones, as a dead network or a stopped appliance
 * does; {@link #stall()} holds connections without an answer; {@link #restore()} listens on the same port again,
 * so the browser's origin (and its service worker) stays the same.
 */
final class NetworkLink implements AutoCloseable {

  private final Vertx vertx;
  private final int port;
  private final int target;
  private final NetClient client;
  private final Set<NetSocket> open = ConcurrentHashMap.newKeySet();
  private NetServer server;
  private volatile boolean stalled;

  private NetworkLink(Vertx vertx, int port, int target) {
    this.vertx = vertx;
    this.port = port;
    this.target = target;
    this.client = vertx.createNetClient();
  }

  static NetworkLink start(Vertx vertx, int target) throws Exception {
    NetworkLink link = new NetworkLink(vertx, FreePorts.next(), target);
    link.restore();
    return link;
  }

  int port() {
    return port;
  }

  /** Closes the listening port and every relayed connection. */
  synchronized void cut() throws Exception {
    if (server != null) {
      dev.outpost.testing.Await.await(server.close());
      server = null;
    }
    for (NetSocket socket : Set.copyOf(open)) {
      socket.close();
    }
  }

  /** Drops every connection and holds new ones open without relaying a byte, as a black-holed network does. */
  synchronized void stall() throws Exception {
    restore();
    stalled = true;
    for (NetSocket socket : Set.copyOf(open)) {
      socket.close();
    }
  }

  synchronized void restore() throws Exception {
    stalled = false;
    if (server == null) {
      server = dev.outpost.testing.Await.await(
          vertx.createNetServer().connectHandler(this::relay).listen(port, "127.0.0.1"));
    }
  }

  private void relay(NetSocket browser) {
    browser.pause();
    track(browser);
    if (stalled) {
      return;
    }
    client.connect(target, "127.0.0.1")
        .onSuccess(appliance -> {
          track(appliance);
          browser.pipeTo(appliance);
          appliance.pipeTo(browser);
          browser.resume();
        })
        .onFailure(e -> browser.close());
  }

  private void track(NetSocket socket) {
    open.add(socket);
    socket.closeHandler(v -> open.remove(socket));
  }

  @Override
  public void close() {
    try {
      cut();
      dev.outpost.testing.Await.await(client.close());
    } catch (Exception e) {
      throw new IllegalStateException("the network link did not close", e);
    }
  }
}
