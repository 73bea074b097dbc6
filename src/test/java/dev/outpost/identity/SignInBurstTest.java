package dev.outpost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Burst;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Parallel bursts of wrong passwords against a real two-node site: for one user, from one address, and alternating
 * between the nodes, no more passwords get checked than the limits allow (the argon2id verifications each node
 * counts in {@code outpost_login_password_checks_total}), and the right password works once the window has passed.
 */
class SignInBurstTest {

  private static final int PER_USER = 3;
  private static final int PER_ADDRESS = 10;
  private static final Duration WINDOW = Duration.ofSeconds(15);
  private static final int BURST = 200;
  private static final String CHECKS = "outpost_login_password_checks_total";

  @TempDir
  static Path tmp;
  static TestSite first;
  static TestSite second;

  @BeforeAll
  static void startTwoNodes() throws Exception {
    String name = "burst-test-" + System.nanoTime();
    int firstPort = FreePorts.next();
    first = TestSite.start(tmp.resolve("a"), settings(TestSite.clusterSettings(name, "burst-secret-0123456789",
        firstPort, null)));
    second = TestSite.start(tmp.resolve("b"), settings(TestSite.clusterSettings(name, "burst-secret-0123456789",
        FreePorts.next(), firstPort)));
    Poll.until("two members", Duration.ofSeconds(30), () -> first.client().get("/admin/api/v1/nodes",
        first.adminToken()).json().getJsonArray("items").size() == 2);
    for (String user : List.of("ivan", "judy")) {
      createUser(user);
    }
  }

  @AfterAll
  static void stopNodes() {
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
  }

  @Test
  void twoHundredParallelWrongPasswordsForOneUserCheckNoMoreThanTheUserLimit() throws Exception {
    // GIVEN ivan, and 200 wrong passwords for him arriving at once at one node from 20 addresses
    double before = first.client().metric(CHECKS);

    // WHEN they are sent
    Burst.Result burst = burst(i -> new Burst.Request("127.0.1." + (1 + i % 20), first.httpsPort(),
        "/api/v1/login", credentials("ivan", "wrong-" + i)));

    // THEN no more passwords were checked than the limit, and every other attempt was refused without a check
    int allowed = allowed(PER_USER, burst.took());
    assertOnlyRefusals(burst, allowed);
    assertThat(first.client().metric(CHECKS) - before).as("password checks").isLessThanOrEqualTo(allowed);

    // AND once the window has passed, the right password works
    assertSignsInOnceTheWindowHasPassed(first, "ivan");
  }

  @Test
  void twoHundredParallelWrongPasswordsFromOneAddressCheckNoMoreThanTheAddressLimit() throws Exception {
    // GIVEN 200 attempts for 200 different names, arriving at once at one node from one address
    double before = first.client().metric(CHECKS);

    // WHEN they are sent
    Burst.Result burst = burst(i -> new Burst.Request("127.0.2.1", first.httpsPort(), "/api/v1/login",
        credentials("sprayed-" + i, "guess-" + i)));

    // THEN no more passwords were checked than the address limit
    int allowed = allowed(PER_ADDRESS, burst.took());
    assertOnlyRefusals(burst, allowed);
    assertThat(first.client().metric(CHECKS) - before).as("password checks").isLessThanOrEqualTo(allowed);
  }

  @Test
  void alternatingBetweenTheNodesDoesNotMultiplyTheLimit() throws Exception {
    // GIVEN judy, and 200 wrong passwords for her arriving at once, every other one at the other node
    double before = first.client().metric(CHECKS) + second.client().metric(CHECKS);

    // WHEN they are sent
    Burst.Result burst = burst(i -> new Burst.Request("127.0.3." + (1 + i % 20),
        (i % 2 == 0 ? first : second).httpsPort(), "/api/v1/login", credentials("judy", "wrong-" + i)));

    // THEN the two nodes together checked no more passwords than the limit of one user
    int allowed = allowed(PER_USER, burst.took());
    assertOnlyRefusals(burst, allowed);
    double checks = first.client().metric(CHECKS) + second.client().metric(CHECKS) - before;
    assertThat(checks).as("password checks on both nodes").isLessThanOrEqualTo(allowed);

    // AND once the window has passed, the right password works at either node
    assertSignsInOnceTheWindowHasPassed(second, "judy");
    assertThat(first.client().login("judy", password("judy"))).isNotEmpty();
  }

  // ---- helpers ----

  private static Map<String, String> settings(Map<String, String> cluster) {
    Map<String, String> settings = new HashMap<>(cluster);
    settings.put("identity.login.max-failures-per-user", Integer.toString(PER_USER));
    settings.put("identity.login.max-failures-per-address", Integer.toString(PER_ADDRESS));
    settings.put("identity.login.window", WINDOW.toSeconds() + "s");
    return settings;
  }

  /**
   * How many attempts a key may have checked during a burst that took {@code took}: its limit in each window the
   * burst touched. A burst shorter than the window (the usual case) gets exactly the limit, and a slow machine
   * only a proportionally larger bound, never one that 200 unthrottled attempts would fit in.
   */
  private static int allowed(int limit, Duration took) {
    return limit * (int) (took.toMillis() / WINDOW.toMillis() + 1);
  }

  private static Burst.Result burst(IntFunction<Burst.Request> request) throws Exception {
    List<Burst.Request> requests = new ArrayList<>();
    for (int i = 0; i < BURST; i++) {
      requests.add(request.apply(i));
    }
    return Burst.send(first.dataDir().resolve("tls/ca.crt"), requests);
  }

  /** Every attempt was a wrong password (401) or refused by the throttle (429), and at most {@code checked} 401s. */
  private static void assertOnlyRefusals(Burst.Result burst, int checked) {
    assertThat(burst.answers()).allSatisfy(a -> assertThat(a.status()).as(a.body()).isIn(401, 429));
    assertThat(burst.count(401)).as("attempts answered 'wrong password'").isLessThanOrEqualTo(checked);
  }

  private static void assertSignsInOnceTheWindowHasPassed(TestSite site, String user) throws InterruptedException {
    String body = credentials(user, password(user));
    Poll.until(user + " signs in", WINDOW.plusMinutes(1), () -> {
      Response response = site.client().post("/api/v1/login", null, body);
      assertThat(response.status()).as(response.body()).isIn(200, 429);
      return response.status() == 200;
    });
  }

  /** Creates the account at both nodes (each accepts it once; a node that already has it answers 409). */
  private static void createUser(String user) {
    for (TestSite site : List.of(first, second)) {
      Response created = site.client().post("/admin/api/v1/users", site.adminToken(), new JsonObject()
          .put("username", user).put("password", password(user)).encode());
      assertThat(created.status()).as(created.body()).isIn(201, 409);
    }
  }

  private static String password(String user) {
    return user + "-password-123";
  }

  private static String credentials(String username, String password) {
    return new JsonObject().put("username", username).put("password", password).encode();
  }
}
