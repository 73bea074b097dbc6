package dev.outpost.bench;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.util.concurrent.TimeUnit;

/**
 * A loopback echo service in its own process, standing in for a session host: the gateway benchmark's streams
 * then hold only their client and gateway sockets in the benchmark's process, whose file limit is the bound.
 * Prints {@code port N} once listening; exits when its standard input closes.
 */
public final class EchoServer {

  private EchoServer() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    NetServer server = vertx.createNetServer().connectHandler(s -> s.pipeTo(s)).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.out.println("port " + server.actualPort());
    System.out.flush();
    while (System.in.read() >= 0) {
      // runs until the benchmark closes our standard input (or exits)
    }
    vertx.close();
    System.exit(0);
  }
}
