package dev.outpost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.PasswordHasher;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Sign-in, sessions, CSRF and throttling against a real site. */
class SignInTest {

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;

  @BeforeAll
  static void startSite() throws Exception {
    site = TestSite.start(tmp.resolve("node"), Map.of(
        "identity.login.max-failures-per-user", "3",
        "identity.login.max-failures-per-address", "1000",
        "identity.login.window", "1h"));
    client = site.client();
    for (String user : new String[] {"alice", "bob", "carol", "dave", "erin"}) {
      insertUser(user, false);
    }
    insertUser("disabled-user", true);
  }

  @AfterAll
  static void stopSite() {
    site.close();
  }

  @Test
  void aBearerTokenFromSignInAuthenticatesAndLogoutEndsIt() {
    // GIVEN a signed-in user
    String token = client.login("alice", "alice-password-123");

    // WHEN they ask who they are, then sign out
    Response me = client.get("/api/v1/me", token);
    Response logout = client.post("/api/v1/logout", token, null);

    // THEN the token identified them until logout, and not after
    assertThat(me.status()).isEqualTo(200);
    assertThat(me.json().getJsonObject("user").getString("username")).isEqualTo("alice");
    assertThat(me.json().getJsonObject("user").getJsonArray("roles")).containsExactly("user");
    assertThat(logout.status()).isEqualTo(204);
    assertThat(client.get("/api/v1/me", token).status()).isEqualTo(401);
  }

  @Test
  void theSessionCookieIsSecureAndStateChangesNeedTheCsrfHeader() {
    // GIVEN a sign-in that sets the session cookie
    Response login = client.post("/api/v1/login", null, credentials("bob", "bob-password-123"));
    String setCookie = login.headers().firstValue("set-cookie").orElseThrow();
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    String csrf = login.json().getString("csrfToken");

    // THEN the cookie cannot be read by scripts or sent cross-site or in clear
    assertThat(setCookie).startsWith("__Host-outpost_session=").contains("Secure", "HTTPOnly", "SameSite=Strict",
        "Path=/");

    // WHEN the cookie is used for a read, and for a state change with and without the CSRF header
    Response read = client.send("GET", "/api/v1/me", null, null, null, Map.of("Cookie", cookie));
    Response noCsrf = client.send("POST", "/api/v1/logout", null, null, null, Map.of("Cookie", cookie));
    Response wrongCsrf = client.send("POST", "/api/v1/logout", null, null, null,
        Map.of("Cookie", cookie, "X-CSRF-Token", "not-the-token"));
    Response withCsrf = client.send("POST", "/api/v1/logout", null, null, null,
        Map.of("Cookie", cookie, "X-CSRF-Token", csrf));

    // THEN reads pass, state changes without the right header are refused with a problem, and with it succeed
    assertThat(read.status()).isEqualTo(200);
    assertThat(noCsrf.status()).isEqualTo(403);
    assertThat(noCsrf.contentType()).isEqualTo("application/problem+json");
    assertThat(noCsrf.json().getString("detail")).contains("X-CSRF-Token");
    assertThat(wrongCsrf.status()).isEqualTo(403);
    assertThat(withCsrf.status()).isEqualTo(204);
  }

  @Test
  void wrongPasswordsUnknownAndDisabledUsersGetTheSameAnswer() {
    Response wrong = client.post("/api/v1/login", null, credentials("carol", "not-her-password"));
    Response unknown = client.post("/api/v1/login", null, credentials("nobody", "whatever-password"));
    Response disabled = client.post("/api/v1/login", null, credentials("disabled-user", "disabled-user-password-123"));

    for (Response r : new Response[] {wrong, unknown, disabled}) {
      assertThat(r.status()).isEqualTo(401);
      assertThat(r.contentType()).isEqualTo("application/problem+json");
      assertThat(r.json().getString("detail")).isEqualTo("invalid user name or password");
    }
  }

  @Test
  void repeatedFailuresForOneUserAreThrottledEvenWithTheRightPassword() {
    // GIVEN three failed sign-ins for dave (the configured limit)
    for (int i = 0; i < 3; i++) {
      assertThat(client.post("/api/v1/login", null, credentials("dave", "wrong-" + i)).status()).isEqualTo(401);
    }

    // WHEN dave then uses the right password
    Response blocked = client.post("/api/v1/login", null, credentials("dave", "dave-password-123"));

    // THEN the attempt is refused with 429 and a Retry-After, while other users are unaffected
    assertThat(blocked.status()).isEqualTo(429);
    assertThat(blocked.headers().firstValue("Retry-After")).isPresent();
    assertThat(blocked.json().getString("detail")).contains("too many failed sign-ins");
    assertThat(client.login("erin", "erin-password-123")).isNotEmpty();
  }

  static Stream<Arguments> malformedSignIns() {
    return Stream.of(
        Arguments.of("{}", "application/json", 400),
        Arguments.of("{\"username\":\"alice\"}", "application/json", 400),
        Arguments.of("{\"username\":5,\"password\":\"x\"}", "application/json", 400),
        Arguments.of("{\"username\":\"alice\",\"password\":null}", "application/json", 400),
        Arguments.of("{\"username\":\"a\\u0000b\",\"password\":\"x\"}", "application/json", 400),
        Arguments.of("{\"username\":\"" + "x".repeat(300) + "\",\"password\":\"x\"}", "application/json", 400),
        Arguments.of("[\"alice\"]", "application/json", 400),
        Arguments.of("{\"username\":", "application/json", 400),
        Arguments.of("", "application/json", 400),
        Arguments.of("username=alice&password=x", "application/x-www-form-urlencoded", 415),
        Arguments.of("{\"username\":\"" + "x".repeat(70_000) + "\"}", "application/json", 413));
  }

  @ParameterizedTest
  @MethodSource("malformedSignIns")
  void malformedSignInsGetAProblemAndNoSession(String body, String contentType, int status) {
    Response response = client.send("POST", "/api/v1/login", null, body, contentType);

    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.contentType()).isEqualTo("application/problem+json");
    assertThat(response.json().getInteger("status")).isEqualTo(status);
    assertThat(response.json().getString("detail")).isNotBlank();
    assertThat(response.headers().firstValue("set-cookie")).isEmpty();
  }

  @Test
  void anExpiredOrMadeUpTokenIsRefused() {
    Response response = client.get("/api/v1/me", "made-up-token");

    assertThat(response.status()).isEqualTo(401);
    assertThat(response.json().getString("detail")).contains("sign in again");
  }

  private static String credentials(String username, String password) {
    return new JsonObject().put("username", username).put("password", password).encode();
  }

  private static void insertUser(String username, boolean disabled) throws Exception {
    String hash = PasswordHasher.create().hash(username + "-password-123");
    site.node().database().pool()
        .preparedQuery("INSERT INTO users(id, username, password_hash, disabled) "
            + "VALUES (gen_random_uuid(), $1, $2, $3)")
        .execute(Tuple.of(username, hash, disabled))
        .toCompletionStage().toCompletableFuture().get();
  }
}
