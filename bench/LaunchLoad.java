import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load generator for bench/launch.sh: signs in N users, then keeps C requests in flight for D seconds, each
 * user cycling launch -> log off, and reports launches/s and latency percentiles. Before that it measures a
 * baseline with the same client and concurrency: GET /health/live, the cheapest authenticated-free request.
 *
 * Run: java -cp target/outpost.jar bench/LaunchLoad.java PORT CA_FILE USER_PREFIX USERS PASSWORD RESOURCE
 *      CONCURRENCY SECONDS
 */
public class LaunchLoad {

  record Result(String name, long count, double seconds, long[] latenciesMicros, long errors) {
    double rate() {
      return count / seconds;
    }

    long percentile(double p) {
      if (latenciesMicros.length == 0) {
        return 0;
      }
      int index = (int) Math.ceil(p / 100.0 * latenciesMicros.length) - 1;
      return latenciesMicros[Math.max(0, Math.min(latenciesMicros.length - 1, index))];
    }

    String line() {
      return String.format("%-10s %10.0f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d", name, rate(),
          percentile(50) / 1000.0, percentile(99) / 1000.0, errors);
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String ca = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(args[1])));
    String prefix = args[2];
    int users = Integer.parseInt(args[3]);
    String password = args[4];
    String resource = args[5];
    int concurrency = Integer.parseInt(args[6]);
    int seconds = Integer.parseInt(args[7]);

    Vertx vertx = Vertx.vertx();
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(false)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(ca))).setDefaultHost("localhost")
        .setDefaultPort(port).setKeepAlive(true), new PoolOptions().setHttp1MaxSize(concurrency));
    try {
      List<String> tokens = new ArrayList<>();
      System.err.println("signing in " + users + " users ...");
      for (int i = 1; i <= users; i++) {
        JsonObject body = new JsonObject().put("username", prefix + i).put("password", password);
        JsonObject answer = await(call(client, HttpMethod.POST, "/api/v1/login", null, body.encode()))
            .toJsonObject();
        tokens.add(answer.getString("token"));
      }
      System.err.println("measuring ...");
      run(client, "warm-up", concurrency, Math.min(5, seconds), i -> health(client));
      Result baseline = run(client, "health", concurrency, seconds, i -> health(client));
      Result signedIn = run(client, "me", concurrency, seconds, i -> timed(client, HttpMethod.GET, "/api/v1/me",
          tokens.get(i % tokens.size())));
      Result listing = run(client, "resources", concurrency, seconds, i -> timed(client, HttpMethod.GET,
          "/api/v1/resources", tokens.get(i % tokens.size())));
      Result launches = run(client, "launch", concurrency, seconds, i -> launchAndLogoff(client,
          tokens.get(i % tokens.size()), resource));
      System.out.println(baseline.line());
      System.out.println(signedIn.line());
      System.out.println(listing.line());
      System.out.println(launches.line());
      System.out.printf("ratio      launches/s vs health/s = %.2f%n", launches.rate() / baseline.rate());
      System.out.printf("RESULT launches_per_s=%.0f p99_ms=%.2f baseline_per_s=%.0f errors=%d%n", launches.rate(),
          launches.percentile(99) / 1000.0, baseline.rate(), launches.errors());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  interface Step {
    Future<Long> run(int worker);
  }

  /** Keeps {@code concurrency} steps in flight; each step reports the latency (micros) of its measured call. */
  static Result run(HttpClientAgent client, String name, int concurrency, int seconds, Step step) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    long[][] latencies = new long[concurrency][];
    AtomicLong errors = new AtomicLong();
    List<Future<Void>> workers = new ArrayList<>();
    long start = System.nanoTime();
    for (int w = 0; w < concurrency; w++) {
      int worker = w;
      Promise<Void> done = Promise.promise();
      List<Long> mine = new ArrayList<>();
      loop(step, worker, end, mine, errors, done);
      workers.add(done.future().onSuccess(v -> latencies[worker] = mine.stream().mapToLong(Long::longValue).toArray()));
    }
    await(Future.all(workers));
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
    return new Result(name, all.length, elapsed, all, errors.get());
  }

  static void loop(Step step, int worker, long end, List<Long> latencies, AtomicLong errors, Promise<Void> done) {
    if (System.nanoTime() >= end) {
      done.complete();
      return;
    }
    step.run(worker).onComplete(ar -> {
      if (ar.succeeded()) {
        latencies.add(ar.result());
      } else {
        errors.incrementAndGet();
      }
      loop(step, worker, end, latencies, errors, done);
    });
  }

  static Future<Long> health(HttpClientAgent client) {
    long t0 = System.nanoTime();
    return call(client, HttpMethod.GET, "/health/live", null, null).map(b -> (System.nanoTime() - t0) / 1000);
  }

  static Future<Long> timed(HttpClientAgent client, HttpMethod method, String path, String token) {
    long t0 = System.nanoTime();
    return call(client, method, path, token, null).map(b -> (System.nanoTime() - t0) / 1000);
  }

  static Future<Long> launchAndLogoff(HttpClientAgent client, String token, String resource) {
    long t0 = System.nanoTime();
    return call(client, HttpMethod.POST, "/api/v1/resources/" + resource + "/launch", token, null)
        .compose(body -> {
          long micros = (System.nanoTime() - t0) / 1000;
          String session = body.toJsonObject().getJsonObject("session").getString("id");
          return call(client, HttpMethod.POST, "/api/v1/sessions/" + session + "/logoff", token, null)
              .map(v -> micros);
        });
  }

  static Future<Buffer> call(HttpClientAgent client, HttpMethod method, String path, String token, String body) {
    RequestOptions options = new RequestOptions().setMethod(method).setURI(path).setIdleTimeout(30_000);
    if (token != null) {
      options.putHeader("Authorization", "Bearer " + token);
    }
    if (body != null) {
      options.putHeader("Content-Type", "application/json");
    }
    return client.request(options)
        .compose(req -> body == null ? req.send() : req.send(body))
        .compose(resp -> resp.body().compose(b -> resp.statusCode() / 100 == 2 ? Future.succeededFuture(b)
            : Future.failedFuture(resp.statusCode() + " " + b)));
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
  }
}
