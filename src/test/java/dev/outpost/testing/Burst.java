package dev.outpost.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * JSON POSTs sent all at once, each from a chosen loopback source address (all of 127.0.0.0/8 is this machine on
 * Linux), for tests of limits per client address: one connection per request, so that none waits for another.
 */
public final class Burst {

  /** One request: from {@code source} to {@code https://127.0.0.1:port/path}. */
  public record Request(String source, int port, String path, String body) {
  }

  /** One answer, in the order of the requests. */
  public record Answer(int status, String body) {
  }

  private Burst() {
  }

  /** Sends every request at once and waits (up to two minutes) for every answer. */
  public static List<Answer> send(Path caCertificate, List<Request> requests) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Map<String, Integer> perSource = new HashMap<>();
      requests.forEach(r -> perSource.merge(r.source(), 1, Integer::sum));
      Map<String, HttpClient> clients = new LinkedHashMap<>();
      perSource.forEach((source, count) -> clients.put(source, vertx.createHttpClient(new HttpClientOptions()
          .setSsl(true).setTrustOptions(new PemTrustOptions().addCertPath(caCertificate.toString()))
          .setVerifyHost(true).setLocalAddress(source).setConnectTimeout(60_000),
          new PoolOptions().setHttp1MaxSize(count).setMaxWaitQueueSize(-1))));
      List<Future<Answer>> answers = new ArrayList<>();
      for (Request request : requests) {
        answers.add(clients.get(request.source()).request(new RequestOptions().setMethod(HttpMethod.POST)
                .setHost("127.0.0.1").setPort(request.port()).setURI(request.path())
                .putHeader("Content-Type", "application/json").setIdleTimeout(120_000))
            .compose(sent -> sent.send(request.body()))
            .compose(response -> response.body().map(body -> new Answer(response.statusCode(), body.toString()))));
      }
      Future.join(answers).toCompletionStage().toCompletableFuture().handle((v, e) -> v).get(2, TimeUnit.MINUTES);
      List<Answer> all = new ArrayList<>();
      for (Future<Answer> answer : answers) {
        if (answer.failed()) {
          throw new AssertionError("a request of the burst got no answer", answer.cause());
        }
        all.add(answer.result());
      }
      return all;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }
}
