package dev.outpost.testing;

import static dev.outpost.testing.Await.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * JSON POSTs sent all at once, each from a chosen loopback source address (all of 127.0.0.0/8 is this machine on
 * Linux), for tests of limits per client address. Every request gets its own connection, opened beforehand in
 * small waves: a busy machine then spends the burst on the requests, not on hundreds of TLS handshakes at once.
 */
public final class Burst {

  /** Connections opened at a time before the burst. */
  private static final int WAVE = 20;

  /** One request: from {@code source} to {@code https://127.0.0.1:port/path}. */
  public record Request(String source, int port, String path, String body) {
  }

  /** One answer, in the order of the requests. */
  public record Answer(int status, String body) {
  }

  /** The answers, and how long the burst took from the first request sent to the last answer. */
  public record Result(List<Answer> answers, Duration took) {

    public long count(int status) {
      return answers.stream().filter(a -> a.status() == status).count();
    }
  }

  private Burst() {
  }

  /** Opens a connection per request, sends every request at once and waits (up to two minutes) for every answer. */
  public static Result send(Path caCertificate, List<Request> requests) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Map<String, HttpClientAgent> clients = new HashMap<>();
      for (Request request : requests) {
        clients.computeIfAbsent(request.source(), source -> vertx.createHttpClient(new HttpClientOptions()
            .setSsl(true).setTrustOptions(new PemTrustOptions().addCertPath(caCertificate.toString()))
            .setVerifyHost(true).setLocalAddress(source).setConnectTimeout(60_000).setIdleTimeout(120)));
      }
      List<HttpClientConnection> connections = new ArrayList<>();
      for (int from = 0; from < requests.size(); from += WAVE) {
        List<Future<HttpClientConnection>> wave = new ArrayList<>();
        for (Request request : requests.subList(from, Math.min(requests.size(), from + WAVE))) {
          wave.add(clients.get(request.source()).connect(new HttpConnectOptions().setHost("127.0.0.1")
              .setPort(request.port())));
        }
        for (Future<HttpClientConnection> connection : wave) {
          connections.add(await(connection));
        }
      }
      Instant start = Instant.now();
      List<Future<Answer>> answers = new ArrayList<>();
      for (int i = 0; i < requests.size(); i++) {
        Request request = requests.get(i);
        answers.add(connections.get(i).request(new RequestOptions().setMethod(HttpMethod.POST)
                .setURI(request.path()).putHeader("Content-Type", "application/json"))
            .compose(sent -> sent.send(request.body()))
            .compose(response -> response.body().map(body -> new Answer(response.statusCode(), body.toString()))));
      }
      List<Answer> all = new ArrayList<>();
      for (Future<Answer> answer : answers) {
        all.add(await(answer));
      }
      return new Result(all, Duration.between(start, Instant.now()));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

}
