package dev.outpost.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.pgclient.PgException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The last line of defence behind the input checks: a value PostgreSQL refuses to store (SQLSTATE class 22, such
 * as 22021 for a NUL byte) is the caller's 400 problem, also when it comes wrapped, while other database errors
 * stay server errors.
 */
@ExtendWith(VertxExtension.class)
class FailureHandlerTest {

  static HttpServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of("22021", new PgException("invalid byte sequence for encoding \"UTF8\": 0x00", "ERROR", "22021",
            null), 400),
        Arguments.of("22021-wrapped", new CompletionException(new PgException("invalid byte sequence", "ERROR",
            "22021", null)), 400),
        Arguments.of("22P02", new PgException("invalid input syntax for type uuid", "ERROR", "22P02", null), 400),
        Arguments.of("22001", new PgException("value too long for type character varying(64)", "ERROR", "22001",
            null), 400),
        Arguments.of("42P01", new PgException("relation \"nope\" does not exist", "ERROR", "42P01", null), 500));
  }

  /** One server for the class, on the extension's Vert.x (closed after the last test). */
  @BeforeAll
  static void start(Vertx vertx, VertxTestContext started) {
    vertx.createHttpServer().requestHandler(ApiRouter.build(vertx, 1024, router -> failures().forEach(
        args -> router.get("/fail/" + args.get()[0]).handler(ctx -> ctx.fail((Throwable) args.get()[1]))),
        Map.of())).listen(0).onComplete(started.succeeding(listening -> {
          server = listening;
          started.completeNow();
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void aValueTheDatabaseRefusesIsTheCallersProblem(String name, Throwable failure, int status) throws Exception {
    // GIVEN a route that fails with the database's error
    // WHEN it is called
    HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:"
        + server.actualPort() + "/fail/" + name)).build(), HttpResponse.BodyHandlers.ofString());

    // THEN the answer is a problem with that status, and a refused value names its SQLSTATE, not the value
    assertThat(answer.statusCode()).isEqualTo(status);
    assertThat(answer.headers().firstValue("Content-Type")).hasValue(Problems.CONTENT_TYPE);
    JsonObject problem = new JsonObject(answer.body());
    if (status == 400) {
      assertThat(problem.getString("type")).isEqualTo(Problems.TYPE_PREFIX + "invalid-value");
      assertThat(problem.getString("detail")).contains("SQLSTATE " + name.substring(0, 5))
          .doesNotContain("invalid byte sequence");
    } else {
      assertThat(problem.getString("detail")).contains("request id").doesNotContain("relation");
    }
  }
}
