package dev.outpost.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The load generator of {@code bench/browser-sessions.sh}, in a JVM of its own so that the appliance's heap is
 * measured without it: opens N browser terminals (launch, then the terminal gateway with the ticket; the site logs
 * in with its SSH user CA), a few at a time, keeps them open pinging every 10 s as the page does, prints
 * {@code open N} and holds them until its stdin closes. Arguments: appliance port, bearer token, CA PEM file,
 * resource name, N.
 */
public final class TerminalLoad {

  private TerminalLoad() {
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String token = args[1];
    String caPem = Files.readString(Path.of(args[2]));
    String resource = args[3];
    int count = Integer.parseInt(args[4]);
    Vertx vertx = Vertx.vertx();
    WebSocketClient ws = vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true).setVerifyHost(false)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(caPem))).setMaxConnections(count + 10));
    HttpClient http = HttpClient.newBuilder().sslContext(dev.outpost.testing.SiteClient.trusting(Path.of(args[2])))
        .build();
    List<WebSocket> open = new ArrayList<>();
    // a few at a time: sshd drops unauthenticated connections beyond MaxStartups (10 by default)
    for (int i = 0; i < count; i += 8) {
      List<Future<WebSocket>> batch = new ArrayList<>();
      for (int j = i; j < Math.min(count, i + 8); j++) {
        String ticket = launch(http, port, token, resource);
        batch.add(terminal(ws, port, ticket));
      }
      for (Future<WebSocket> f : batch) {
        open.add(f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
      }
    }
    vertx.setPeriodic(10_000, id -> open.forEach(s -> s.writeTextMessage("{\"type\":\"ping\"}")));
    System.out.println("open " + open.size());
    System.out.flush();
    while (System.in.read() >= 0) {
      // hold until the bench closes stdin
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static String launch(HttpClient http, int port, String token, String resource) throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
        + "/api/v1/resources/" + resource + "/launch")).header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException("launch answered " + response.statusCode() + ": " + response.body());
    }
    return new JsonObject(response.body()).getString("ticket");
  }

  /** A terminal socket once the gateway answered 200 (the shell is open); output is read and dropped. */
  private static Future<WebSocket> terminal(WebSocketClient client, int port, String ticket) {
    return client.connect(new WebSocketConnectOptions().setHost("localhost").setPort(port).setURI("/gateway/terminal"))
        .compose(socket -> {
          io.vertx.core.Promise<WebSocket> answered = io.vertx.core.Promise.promise();
          socket.textMessageHandler(text -> {
            if (text.contains("\"status\":200")) {
              answered.tryComplete(socket);
            }
          });
          socket.binaryMessageHandler(data -> { });
          socket.closeHandler(v -> answered.tryFail("closed with " + socket.closeStatusCode() + " "
              + socket.closeReason()));
          socket.writeTextMessage(new JsonObject().put("v", 1).put("ticket", ticket).put("cols", 80).put("rows", 24)
              .encode());
          return answered.future();
        });
  }
}
