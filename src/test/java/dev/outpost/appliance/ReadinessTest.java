package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ready means ready: what a new admin does on the very first 200 of {@code /health/ready} works. */
class ReadinessTest {

  /** Fresh sites started in a row: the window before a half-started node answered ready was short. */
  private static final int STARTS = 5;
  private static final Duration START = Duration.ofMinutes(3);
  private static final Pattern DEMO_PASSWORD = Pattern.compile("user 'demo', password (\\S+)");

  @TempDir
  Path tmp;

  @Test
  void theFirstReadyAnswerOfAFreshSiteMeansItsAdminAndDemoUserCanSignInAndSeeTheDemo() throws Exception {
    for (int n = 1; n <= STARTS; n++) {
      // GIVEN a fresh demo site, watched from before it listens
      TestSite.Starting starting = TestSite.startInBackground(tmp.resolve("node-" + n), Map.of("demo", "true"));
      try {
        // WHEN its readiness answers 200 for the first time
        SiteClient client = firstReady(starting, tmp.resolve("node-" + n));

        // THEN the bootstrap admin signs in at once
        Response admin = signIn(client, "admin", TestSite.ADMIN_PASSWORD);
        assertThat(admin.status()).as("start %d: the admin's first sign-in: %s", n, admin.body()).isEqualTo(200);
        // AND the demo user's password was printed, the demo user signs in and is offered the demo resource
        Matcher printed = DEMO_PASSWORD.matcher(starting.console().get());
        assertThat(printed.find()).as("start %d: the demo user's password is printed: %s", n,
            starting.console().get()).isTrue();
        Response demo = signIn(client, "demo", printed.group(1));
        assertThat(demo.status()).as("start %d: the demo user's first sign-in: %s", n, demo.body()).isEqualTo(200);
        Response resources = client.get("/api/v1/resources", demo.json().getString("token"));
        assertThat(resources.json().getJsonArray("items").stream().map(JsonObject.class::cast)
            .map(r -> r.getString("name"))).as("start %d", n).contains("demo-ssh");
      } finally {
        starting.site().get(START.toMinutes(), TimeUnit.MINUTES).close();
      }
    }
  }

  /**
   * Asks for readiness as fast as the site answers, from before it listens, and returns a client at the first 200:
   * a probe that polls at intervals could miss a short half-started window.
   */
  private static SiteClient firstReady(TestSite.Starting starting, Path dataDir) throws Exception {
    Path ca = dataDir.resolve("tls/ca.crt");
    Poll.until("the site CA of a starting site", START, () -> Files.exists(ca) || starting.site().isDone());
    assertThat(starting.site()).isNotCompletedExceptionally();
    SiteClient client = new SiteClient(ca, starting.httpsPort());
    Instant deadline = Instant.now().plus(START);
    while (Instant.now().isBefore(deadline)) {
      assertThat(starting.site()).isNotCompletedExceptionally();
      try {
        if (client.get("/health/ready", null).status() == 200) {
          return client;
        }
      } catch (UncheckedIOException notListeningYet) {
        // not listening yet: ask again shortly (a polling interval with a deadline, not a synchronisation)
        Thread.sleep(5);
      }
    }
    throw new AssertionError("the site was not ready within " + START);
  }

  private static Response signIn(SiteClient client, String username, String password) {
    return client.post("/api/v1/login", null, new JsonObject().put("username", username).put("password", password)
        .encode());
  }
}
