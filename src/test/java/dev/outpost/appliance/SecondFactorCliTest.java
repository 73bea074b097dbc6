package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.identity.Totp;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command lines against a real site: {@code outpost client login} and {@code outpost admin login} for an account
 * with a second factor (code by option, piped in after the password, or skipped on a remembered device; a wrong one
 * refused), and {@code outpost admin api-token} / {@code second-factor reset} with the token then used by {@code
 * outpost admin --token}.
 */
class SecondFactorCliTest {

  private static final String PASSWORD = "second-factor-cli-password-1";

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static String admin;
  static String url;
  static String fingerprint;
  static Path passwordFile;

  @BeforeAll
  static void startSite() throws Exception {
    site = TestSite.start(tmp.resolve("node"));
    client = site.client();
    admin = site.adminToken();
    url = "https://localhost:" + site.httpsPort();
    fingerprint = site.node().caFingerprintDisplay();
    passwordFile = tmp.resolve("password");
    Files.writeString(passwordFile, PASSWORD + "\n");
  }

  @AfterAll
  static void stopSite() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void theClientSignsInWithARightCodeAndIsRefusedAWrongOne() throws Exception {
    // GIVEN a user with an authenticator app
    Enrolled ada = enrol(createUser("ada-cli"));
    Path home = tmp.resolve("ada-client");

    // WHEN she signs in with the client and a code of another time
    Run wrong = run(null, "client", "--home", home.toString(), "login", url, "--user", "ada-cli", "--ca-sha256",
        fingerprint, "--password-file", passwordFile.toString(), "--code", ada.stale(), "--lease-wait", "0");

    // THEN she is refused in one line, and nothing is kept
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.err().strip()).startsWith("outpost client login: ").contains("code is wrong")
        .doesNotContain("\n").doesNotContain("Exception");
    assertThat(home.resolve("token")).doesNotExist();

    // WHEN she signs in with a current code
    Run right = run(null, "client", "--home", home.toString(), "login", url, "--user", "ada-cli", "--ca-sha256",
        fingerprint, "--password-file", passwordFile.toString(), "--code", ada.fresh(), "--lease-wait", "0");

    // THEN she is signed in, and the client works with that session
    assertThat(right.exit()).as(right.err()).isZero();
    assertThat(right.out()).contains("Signed in to " + url + " as ada-cli");
    Run apps = run(null, "client", "--home", home.toString(), "apps");
    assertThat(apps.exit()).as(apps.err()).isZero();

    // AND without a code and nothing to read it from, she is told how to give one
    Run none = run("", "client", "--home", home.toString(), "login", url, "--user", "ada-cli",
        "--password-file", passwordFile.toString(), "--lease-wait", "0");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("signs in with a second factor: pass --code").doesNotContain("Exception");
  }

  @Test
  void theClientReadsTheCodePipedInAfterThePasswordAndMayRememberTheDevice() throws Exception {
    // GIVEN a user with an authenticator app, and no terminal
    Enrolled bert = enrol(createUser("bert-cli"));
    Path home = tmp.resolve("bert-client");

    // WHEN the password and a wrong code are piped in
    Run wrong = run(PASSWORD + "\n" + bert.stale() + "\n", "client", "--home", home.toString(), "login", url,
        "--user", "bert-cli", "--ca-sha256", fingerprint, "--lease-wait", "0");

    // THEN the appliance asked for the code, got the wrong one and refused it
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.err()).contains("code is wrong");

    // WHEN the password and a right code are piped in, asking to remember this device
    Run right = run(PASSWORD + "\n" + bert.fresh() + "\n", "client", "--home", home.toString(), "login", url,
        "--user", "bert-cli", "--ca-sha256", fingerprint, "--remember-device", "--lease-wait", "0");

    // THEN he is signed in and the client keeps the device's grant
    assertThat(right.exit()).as(right.err()).isZero();
    assertThat(home.resolve("remembered-device.json")).isRegularFile();

    // WHEN he signs out and in again with the password alone
    assertThat(run(null, "client", "--home", home.toString(), "logout").exit()).isZero();
    Run again = run(PASSWORD + "\n", "client", "--home", home.toString(), "login", url, "--user", "bert-cli",
        "--lease-wait", "0");

    // THEN the remembered device (proven by its key) stands in for the code
    assertThat(again.exit()).as(again.err()).isZero();

    // WHEN an admin resets his second factor with the admin command line
    Path adminHome = adminLogin("reset-admin");
    Run reset = run(null, "admin", "--home", adminHome.toString(), "second-factor", "reset", "bert-cli");

    // THEN it is gone: the audit says so, and his grant no longer counts (his password alone signs him in now)
    assertThat(reset.exit()).as(reset.err()).isZero();
    assertThat(new JsonObject(reset.out()).getBoolean("hadSecondFactor")).isTrue();
    assertThat(client.get("/admin/api/v1/audit?limit=20", admin).body()).contains("user.second-factor-reset");
    Run plain = run(PASSWORD + "\n", "client", "--home", tmp.resolve("bert-elsewhere").toString(), "login", url,
        "--user", "bert-cli", "--ca-sha256", fingerprint, "--lease-wait", "0");
    assertThat(plain.exit()).as(plain.err()).isZero();
  }

  @Test
  void adminLoginAsksForTheCodeOfAnAdminWithASecondFactor() throws Exception {
    // GIVEN an admin with an authenticator app
    Enrolled cleo = enrol(createUser("cleo-cli", "admin"));
    Path home = tmp.resolve("cleo-admin");

    // WHEN she signs in with a wrong code piped in after her password
    Run wrong = run(PASSWORD + "\n" + cleo.stale() + "\n", "admin", "--url", url, "--ca-sha256", fingerprint,
        "--home", home.toString(), "login", "--user", "cleo-cli");

    // THEN she is refused in one line, and no session is kept
    assertThat(wrong.exit()).isEqualTo(1);
    assertThat(wrong.err().strip()).startsWith("outpost admin: 401").doesNotContain("\n");
    assertThat(run(null, "admin", "--home", home.toString(), "get", "users").exit()).isEqualTo(1);

    // WHEN she signs in with --code
    Run right = run(null, "admin", "--url", url, "--ca-sha256", fingerprint, "--home", home.toString(), "login",
        "--user", "cleo-cli", "--password-file", passwordFile.toString(), "--code", cleo.fresh());

    // THEN the session works
    assertThat(right.exit()).as(right.err()).isZero();
    assertThat(new JsonObject(right.out()).getString("secondFactor")).isEqualTo("totp");
    assertThat(run(null, "admin", "--home", home.toString(), "get", "users").exit()).isZero();
  }

  @Test
  void apiTokensAreMadeListedUsedAndRevokedWithTheAdminCommandLine() throws Exception {
    // GIVEN a signed-in admin
    Path home = adminLogin("token-admin");

    // WHEN a read-only token is made
    Run created = run(null, "admin", "--home", home.toString(), "api-token", "create", "--name", "ci reader",
        "--scope", "read-only", "--days", "7");

    // THEN it is printed once, with its scope and expiry
    assertThat(created.exit()).as(created.err()).isZero();
    JsonObject made = new JsonObject(created.out());
    String token = made.getString("token");
    assertThat(token).startsWith("opat.");
    assertThat(made.getString("scope")).isEqualTo("read-only");
    assertThat(Instant.parse(made.getString("expiresAt"))).isBefore(Instant.now().plus(Duration.ofDays(8)));

    // AND it is listed as active, without its secret
    Run listed = run(null, "admin", "--home", home.toString(), "api-token", "list");
    assertThat(listed.exit()).as(listed.err()).isZero();
    assertThat(listed.out()).contains(made.getString("id")).contains("\"active\"").doesNotContain(token);

    // WHEN a script uses it, with no login of its own
    Path fresh = tmp.resolve("script-home");
    Run read = run(null, "admin", "--url", url, "--ca-sha256", fingerprint, "--home", fresh.toString(),
        "--token", token, "get", "users");
    Run write = run(null, "admin", "--url", url, "--ca-sha256", fingerprint, "--home", fresh.toString(),
        "--token", token, "post", "pools", "{\"name\":\"token-pool\"}");
    Run mint = run(null, "admin", "--url", url, "--ca-sha256", fingerprint, "--home", fresh.toString(),
        "--token", token, "api-token", "list");

    // THEN it reads, it may not write, and it cannot manage tokens
    assertThat(read.exit()).as(read.err()).isZero();
    assertThat(read.out()).contains("token-admin");
    assertThat(write.exit()).isEqualTo(1);
    assertThat(write.err()).startsWith("outpost admin: 403");
    assertThat(mint.exit()).isEqualTo(1);
    assertThat(mint.err()).contains("API tokens cannot make, list or revoke API tokens");

    // WHEN the admin revokes it
    Run revoked = run(null, "admin", "--home", home.toString(), "api-token", "revoke", made.getString("id"));

    // THEN the script is refused, told to check its token, and the list says revoked
    assertThat(revoked.exit()).as(revoked.err()).isZero();
    Poll.until("the revoked token is refused", Duration.ofSeconds(30), () -> run(null, "admin", "--url", url,
        "--ca-sha256", fingerprint, "--home", fresh.toString(), "--token", token, "get", "users").exit() == 1);
    Run refused = run(null, "admin", "--url", url, "--ca-sha256", fingerprint, "--home", fresh.toString(),
        "--token", token, "get", "users");
    assertThat(refused.err()).startsWith("outpost admin: 401").contains("check the API token");
    assertThat(run(null, "admin", "--home", home.toString(), "api-token", "list").out()).contains("\"revoked\"");

    // AND a bad scope or a token without --url is a clear usage error
    Run badScope = run(null, "admin", "--home", home.toString(), "api-token", "create", "--name", "x", "--scope",
        "root");
    assertThat(badScope.exit()).isEqualTo(1);
    assertThat(badScope.err()).startsWith("outpost admin: 400").contains("scope");
    Run noUrl = run(null, "admin", "--home", tmp.resolve("nowhere").toString(), "--token", token, "get", "users");
    assertThat(noUrl.exit()).isEqualTo(2);
    assertThat(noUrl.err()).contains("with an API token, pass --url");
  }

  @Test
  void theNewCommandsExplainThemselves() {
    assertThat(run(null, "admin", "api-token", "--help").out()).contains("create", "list", "revoke");
    assertThat(run(null, "admin", "api-token", "create", "--help").out()).contains("--scope", "read-only",
        "session-admin", "--days", "--owner");
    assertThat(run(null, "admin", "second-factor", "reset", "--help").out()).contains("USER");
    assertThat(run(null, "admin", "--help").out()).contains("--token", "OUTPOST_ADMIN_TOKEN", "api-token");
    assertThat(run(null, "client", "login", "--help").out()).contains("--code", "--remember-device");
  }

  // --- helpers ---

  /** One run of the command line: exit code, stdout and stderr, with {@code stdin} piped in (null: nothing). */
  record Run(int exit, String out, String err) {
  }

  private static Run run(String stdin, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    InputStream before = System.in;
    System.setIn(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)));
    try {
      int exit = new CommandLine(new Outpost()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
          .execute(args);
      return new Run(exit, out.toString(), err.toString());
    } finally {
      System.setIn(before);
    }
  }

  /** A fresh admin account signed in with {@code outpost admin login}; answers its home. */
  private static Path adminLogin(String name) {
    createUser(name, "admin");
    Path home = tmp.resolve(name);
    Run login = run(null, "admin", "--url", url, "--ca-sha256", fingerprint, "--home", home.toString(), "login",
        "--user", name, "--password-file", passwordFile.toString());
    assertThat(login.exit()).as(login.err()).isZero();
    return home;
  }

  private static String createUser(String name, String... roles) {
    JsonObject body = new JsonObject().put("username", name).put("password", PASSWORD);
    if (roles.length > 0) {
      body.put("roles", new JsonArray(List.of(roles)));
    }
    Response created = client.post("/admin/api/v1/users", admin, body.encode());
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return name;
  }

  /** Enrols an authenticator app for the user through the store API, confirming it with a current code. */
  private static Enrolled enrol(String name) {
    String token = client.login(name, PASSWORD);
    Response proposed = client.post("/api/v1/second-factor/totp", token, null);
    assertThat(proposed.status()).as(proposed.body()).isEqualTo(200);
    String secret = proposed.json().getString("secret");
    long now = Totp.step(Instant.now());
    Response confirmed = client.post("/api/v1/second-factor/totp/confirm", token,
        new JsonObject().put("code", Totp.code(secret, now)).encode());
    assertThat(confirmed.status()).as(confirmed.body()).isEqualTo(200);
    return new Enrolled(secret, new HashSet<>(List.of(now)));
  }

  /** An enrolled authenticator, with the steps whose codes were used (each is accepted once). */
  record Enrolled(String secret, Set<Long> used) {
    /** A right code not used before: of the next step, this one or the one before (all are accepted). */
    String fresh() {
      long now = Totp.step(Instant.now());
      List<Long> steps = new ArrayList<>(List.of(now + 1, now, now - 1));
      for (long step : steps) {
        if (used.add(step)) {
          return Totp.code(secret, step);
        }
      }
      throw new AssertionError("the test used every code of the accepted steps");
    }

    /** A code of a step far from now's, which is refused. */
    String stale() {
      return Totp.code(secret, Totp.step(Instant.now()) + 5);
    }
  }
}
