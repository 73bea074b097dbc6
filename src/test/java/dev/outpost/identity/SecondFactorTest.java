package dev.outpost.identity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TcpProxy;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Second factors against a real site (PostgreSQL reached through a proxy the test can cut): enrolment, sign-in with a
 * code in one request or two, wrong and replayed codes, throttling, recovery codes used once, a group that requires a
 * second factor, remembered devices bound to the device key, an admin's reset, and sign-in with the database down.
 */
class SecondFactorTest {

  private static final String PASSWORD = "second-factor-password-1";

  @TempDir
  static Path tmp;
  static io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres;
  static TcpProxy network;
  static TestSite site;
  static SiteClient client;
  static String admin;

  @BeforeAll
  static void startSite() throws Exception {
    postgres = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("pg")).setCleanDataDirectory(true)
        .setOverrideWorkingDirectory(tmp.resolve("pg-run").toFile()).start();
    network = new TcpProxy(postgres.getPort());
    site = TestSite.start(tmp.resolve("node"), Map.of(
        "db.url", "postgresql://postgres@127.0.0.1:" + network.port() + "/postgres",
        "hub.sync-interval", "1s",
        "identity.login.max-failures-per-user", "3",
        "identity.login.max-failures-per-address", "1000",
        "identity.login.window", "1h"));
    client = site.client();
    admin = site.adminToken();
  }

  @AfterAll
  static void stopSite() throws Exception {
    if (site != null) {
      site.close();
    }
    network.close();
    postgres.close();
  }

  @Test
  void aUserEnrolsAndThenSignsInWithACodeInTwoStepsOrInOne() {
    // GIVEN a user who enrolled an authenticator app
    createUser("ada");
    Enrolled ada = enrol("ada");
    assertThat(ada.recoveryCodes()).hasSize(RecoveryCodes.COUNT);
    assertThat(Sql.rows(site, "SELECT totp_secret_enc FROM user_factors f JOIN users u ON u.id = f.user_id "
        + "WHERE u.username = 'ada'").get(0).getString("totp_secret_enc")).doesNotContain(ada.secret());

    // WHEN she signs in with her password only
    Response first = signIn("ada", null);

    // THEN she is asked for the second factor: no session, a token to go on with
    assertThat(first.status()).isEqualTo(401);
    assertThat(first.json().getString("type")).isEqualTo("urn:outpost:problem:second-factor-required");
    assertThat(first.json().getJsonArray("methods")).containsExactly("totp", "recovery-code");
    assertThat(first.headers().firstValue("set-cookie")).isEmpty();
    assertThat(client.get("/api/v1/me", first.json().getString("secondFactorToken")).status()).isEqualTo(401);

    // WHEN she sends a current code with that token
    Response second = client.post("/api/v1/login/second-factor", null, new JsonObject()
        .put("secondFactorToken", first.json().getString("secondFactorToken")).put("code", fresh(ada)).encode());

    // THEN she is signed in, and the session says how
    assertThat(second.status()).as(second.body()).isEqualTo(200);
    assertThat(second.json().getJsonObject("user").getString("secondFactor")).isEqualTo("totp");
    assertThat(client.get("/api/v1/me", second.json().getString("token")).status()).isEqualTo(200);

    // AND the token of the first step is spent; a code sent with the password signs in in one request
    assertThat(client.post("/api/v1/login/second-factor", null, new JsonObject()
        .put("secondFactorToken", first.json().getString("secondFactorToken")).put("code", "000000").encode())
        .json().getString("detail")).contains("sign in again");
    Response oneStep = signIn("ada", fresh(ada));
    assertThat(oneStep.status()).as(oneStep.body()).isEqualTo(200);
  }

  @Test
  void wrongAndReplayedCodesAreRefusedAndCountLikeWrongPasswords() {
    // GIVEN an enrolled user who signed in once with a code
    createUser("bert");
    Enrolled bert = enrol("bert");
    String used = fresh(bert);
    assertThat(signIn("bert", used).status()).isEqualTo(200);

    // WHEN the same code is used again, and a code of another time
    Response replayed = signIn("bert", used);
    Response wrong = signIn("bert", stale(bert));

    // THEN both are refused with the same answer
    for (Response refused : List.of(replayed, wrong)) {
      assertThat(refused.status()).isEqualTo(401);
      assertThat(refused.json().getString("type")).isEqualTo("urn:outpost:problem:wrong-second-factor");
    }

    // WHEN a third wrong code reaches the limit of 3 failures
    assertThat(twoStep("bert", "000000").status()).isEqualTo(401);

    // THEN even the right password with a right code is throttled, as after wrong passwords
    Response throttled = signIn("bert", fresh(bert));
    assertThat(throttled.status()).isEqualTo(429);
    assertThat(throttled.headers().firstValue("Retry-After")).isPresent();
  }

  @Test
  void aRightPasswordAloneDoesNotClearEarlierFailures() {
    // GIVEN an enrolled user with two wrong passwords
    createUser("cleo");
    enrol("cleo");
    for (int i = 0; i < 2; i++) {
      assertThat(client.post("/api/v1/login", null, credentials("cleo", "wrong-password-" + i)).status())
          .isEqualTo(401);
    }

    // WHEN the right password comes without a code, then a wrong code
    assertThat(signIn("cleo", null).status()).isEqualTo(401);
    assertThat(signIn("cleo", "123456").status()).isEqualTo(401);

    // THEN the limit of 3 is reached: the password did not wipe the failures the code still owed
    assertThat(signIn("cleo", null).status()).isEqualTo(429);
  }

  @Test
  void eachRecoveryCodeSignsInOnce() {
    // GIVEN an enrolled user and one of her recovery codes
    createUser("dora");
    Enrolled dora = enrol("dora");
    String recovery = dora.recoveryCodes().get(3);

    // WHEN she signs in with it twice
    Response first = signIn("dora", recovery.toUpperCase());
    Response again = signIn("dora", recovery);

    // THEN the first time works, the second does not, and nine are left
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    assertThat(first.json().getJsonObject("user").getString("secondFactor")).isEqualTo("recovery-code");
    assertThat(again.status()).isEqualTo(401);
    assertThat(client.get("/api/v1/second-factor", first.json().getString("token")).json()
        .getInteger("recoveryCodesLeft")).isEqualTo(RecoveryCodes.COUNT - 1);
  }

  @Test
  void aGroupThatRequiresASecondFactorLetsItsMembersOnlyEnrolUntilTheyHaveOne() {
    // GIVEN a member of a group that requires a second factor, without one
    createUser("emil");
    assertThat(client.post("/admin/api/v1/groups", admin, new JsonObject().put("name", "mfa-staff")
        .put("members", new JsonArray().add("emil")).put("secondFactorRequired", true).encode()).status())
        .isEqualTo(201);

    // WHEN he signs in with his password
    Response restricted = signIn("emil", null);

    // THEN he gets a session that may only enrol: the store refuses it, the enrolment accepts it
    assertThat(restricted.status()).as(restricted.body()).isEqualTo(200);
    String token = restricted.json().getString("token");
    assertThat(restricted.json().getJsonObject("user").getString("restriction")).isEqualTo("enrol-second-factor");
    Response resources = client.get("/api/v1/resources", token);
    assertThat(resources.status()).isEqualTo(403);
    assertThat(resources.json().getString("detail")).contains("requires a second factor");
    assertThat(client.get("/api/v1/second-factor", token).json().getBoolean("required")).isTrue();

    // WHEN he enrols
    Response proposed = client.post("/api/v1/second-factor/totp", token, null);
    String secret = proposed.json().getString("secret");
    Response confirmed = client.post("/api/v1/second-factor/totp/confirm", token,
        new JsonObject().put("code", Totp.code(secret, Totp.step(Instant.now()))).encode());

    // THEN the answer carries a full session in place of the restricted one, which ends
    assertThat(confirmed.status()).as(confirmed.body()).isEqualTo(200);
    String full = confirmed.json().getString("token");
    assertThat(client.get("/api/v1/resources", full).status()).isEqualTo(200);
    assertThat(client.get("/api/v1/me", token).status()).isEqualTo(401);
    // AND he cannot drop the factor his group requires
    Response remove = client.post("/api/v1/second-factor/remove", full,
        new JsonObject().put("code", Totp.code(secret, Totp.step(Instant.now()) + 1)).encode());
    assertThat(remove.status()).isEqualTo(409);
  }

  @Test
  void aRememberedDeviceSkipsTheCodeOnlyWithAFreshProofOfItsKey() throws Exception {
    // GIVEN an enrolled user who signs in with a code on a device and asks to remember it
    createUser("finn");
    Enrolled finn = enrol("finn");
    KeyPair device = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String deviceKey = Base64.getEncoder().encodeToString(device.getPublic().getEncoded());
    Response remembered = client.post("/api/v1/login", null, new JsonObject().put("username", "finn")
        .put("password", PASSWORD).put("code", fresh(finn)).put("deviceKey", deviceKey).put("rememberDevice", true)
        .encode());
    assertThat(remembered.status()).as(remembered.body()).isEqualTo(200);
    String grant = remembered.json().getString("rememberedDevice");
    assertThat(grant).isNotBlank();

    // WHEN the device signs in with the grant and a proof made with its key
    String proof = proof(device, "finn", Instant.now());
    Response skipped = withGrant("finn", deviceKey, grant, proof);

    // THEN no code is asked for
    assertThat(skipped.status()).as(skipped.body()).isEqualTo(200);
    assertThat(skipped.json().getJsonObject("user").getString("secondFactor")).isEqualTo("remembered-device");

    // BUT the same proof again, a proof by another key, a stale proof, or the grant with another device key are not
    // enough: the code is asked for
    KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    String otherKey = Base64.getEncoder().encodeToString(other.getPublic().getEncoded());
    assertThat(withGrant("finn", deviceKey, grant, proof).status()).isEqualTo(401);
    assertThat(withGrant("finn", deviceKey, grant, proof(other, "finn", Instant.now())).status()).isEqualTo(401);
    assertThat(withGrant("finn", deviceKey, grant, proof(device, "finn", Instant.now().minus(Duration.ofMinutes(5))))
        .status()).isEqualTo(401);
    assertThat(withGrant("finn", otherKey, grant, proof(other, "finn", Instant.now())).json().getString("type"))
        .isEqualTo("urn:outpost:problem:second-factor-required");

    // AND once an admin resets his second factor, the password alone signs him in and the grant means nothing
    Response reset = client.post("/admin/api/v1/users/finn/second-factor/reset", admin, null);
    assertThat(reset.status()).as(reset.body()).isEqualTo(200);
    assertThat(reset.json().getBoolean("hadSecondFactor")).isTrue();
    Response plain = signIn("finn", null);
    assertThat(plain.status()).isEqualTo(200);
    assertThat(plain.json().getJsonObject("user").containsKey("secondFactor")).isFalse();
    assertThat(client.get("/admin/api/v1/audit?limit=5", admin).body()).contains("user.second-factor-reset");
  }

  @Test
  void adminsKeepTheirSecondFactorButMayReplaceItWithACurrentCode() {
    // GIVEN an admin with a second factor
    createUser("gail", "admin");
    Enrolled gail = enrol("gail");
    String token = signIn("gail", fresh(gail)).json().getString("token");

    // WHEN she tries to remove it THEN it is refused
    Response remove = client.post("/api/v1/second-factor/remove", token,
        new JsonObject().put("code", "000000").encode());
    assertThat(remove.status()).isEqualTo(409);
    assertThat(remove.json().getString("detail")).contains("admins keep their second factor");

    // WHEN she sets up a new one without a code THEN that is refused; with a current code it is proposed
    assertThat(client.post("/api/v1/second-factor/totp", token, null).status()).isEqualTo(400);
    Response replaced = client.post("/api/v1/second-factor/totp", token,
        new JsonObject().put("code", fresh(gail)).encode());
    assertThat(replaced.status()).as(replaced.body()).isEqualTo(200);
    assertThat(replaced.json().getString("otpauthUri")).startsWith("otpauth://totp/Outpost:gail?secret=");
  }

  @Test
  void withTheDatabaseDownCodesAreCheckedFromTheLocalHostCache() throws Exception {
    // GIVEN an enrolled user whose factor the local host cache holds, sealed
    createUser("hugo");
    Enrolled hugo = enrol("hugo");
    Path snapshot = site.dataDir().resolve("lhc/snapshot.json");
    String userId = Sql.rows(site, "SELECT id FROM users WHERE username = 'hugo'").get(0).getString("id");
    Poll.until("the local host cache has hugo's factor", Duration.ofSeconds(30), () -> {
      String text = SiteClient.readOrEmpty(snapshot);
      return text.contains(userId) && new JsonObject(text).getJsonArray("accounts").stream()
          .map(JsonObject.class::cast).anyMatch(a -> a.getString("id").equals(userId)
              && a.getJsonObject("secondFactor") != null && a.getJsonObject("secondFactor").containsKey("totpSealed"));
    });
    assertThat(SiteClient.readOrEmpty(snapshot)).doesNotContain(hugo.secret());

    network.down();
    try {
      // WHEN the database cannot be reached THEN the password alone is not enough, a wrong code is refused, and a
      // right code signs in
      assertThat(signIn("hugo", null).status()).isEqualTo(401);
      assertThat(signIn("hugo", stale(hugo)).status()).isEqualTo(401);
      Response signedIn = signIn("hugo", fresh(hugo));
      assertThat(signedIn.status()).as(signedIn.body()).isEqualTo(200);
      // AND a recovery code, which is used up in the database, is refused for now with a reason
      Response recovery = signIn("hugo", hugo.recoveryCodes().get(0));
      assertThat(recovery.status()).isEqualTo(503);
      assertThat(recovery.json().getString("detail")).contains("authenticator app");
    } finally {
      network.restore();
    }
  }

  // --- helpers ---

  /** An enrolled authenticator, with the steps whose codes the test has used (each is accepted once). */
  record Enrolled(String secret, List<String> recoveryCodes, java.util.Set<Long> used) {
  }

  private static void createUser(String name, String... roles) {
    JsonObject body = new JsonObject().put("username", name).put("password", PASSWORD);
    if (roles.length > 0) {
      body.put("roles", new JsonArray(List.of(roles)));
    }
    Response created = client.post("/admin/api/v1/users", admin, body.encode());
    assertThat(created.status()).as(created.body()).isEqualTo(201);
  }

  /** Enrols an authenticator for the user, confirming it with the code of the current step. */
  private static Enrolled enrol(String name) {
    String token = client.login(name, PASSWORD);
    Response proposed = client.post("/api/v1/second-factor/totp", token, null);
    assertThat(proposed.status()).as(proposed.body()).isEqualTo(200);
    String secret = proposed.json().getString("secret");
    assertThat(proposed.json().getString("otpauthUri")).contains("secret=" + secret, "issuer=Outpost");
    Response confirmed = client.post("/api/v1/second-factor/totp/confirm", token,
        new JsonObject().put("code", Totp.code(secret, Totp.step(Instant.now()))).encode());
    assertThat(confirmed.status()).as(confirmed.body()).isEqualTo(200);
    return new Enrolled(secret, confirmed.json().getJsonArray("recoveryCodes").stream().map(String::valueOf).toList(),
        new java.util.HashSet<>(List.of(Totp.step(Instant.now()))));
  }

  /**
   * A right code not used before: of the next step, else of this one, else of the one before (all three are
   * accepted; the later the step, the longer it stays accepted while the request travels).
   */
  private static String fresh(Enrolled enrolled) {
    long now = Totp.step(Instant.now());
    for (long step = now + 1; step >= now - 1; step--) {
      if (enrolled.used().add(step)) {
        return Totp.code(enrolled.secret(), step);
      }
    }
    throw new AssertionError("the test used every code of the accepted steps");
  }

  /** A code of a step far from now's, which is refused. */
  private static String stale(Enrolled enrolled) {
    return Totp.code(enrolled.secret(), Totp.step(Instant.now()) + 5);
  }

  private static Response signIn(String name, String code) {
    JsonObject body = new JsonObject().put("username", name).put("password", PASSWORD);
    if (code != null) {
      body.put("code", code);
    }
    return client.post("/api/v1/login", null, body.encode());
  }

  /** Signs in without a code, then sends this code with the token of the first step. */
  private static Response twoStep(String name, String code) {
    Response first = signIn(name, null);
    assertThat(first.status()).isEqualTo(401);
    return client.post("/api/v1/login/second-factor", null, new JsonObject()
        .put("secondFactorToken", first.json().getString("secondFactorToken")).put("code", code).encode());
  }

  private static Response withGrant(String name, String deviceKey, String grant, String proof) {
    return client.post("/api/v1/login", null, new JsonObject().put("username", name).put("password", PASSWORD)
        .put("deviceKey", deviceKey).put("rememberedDevice", grant).put("deviceProof", proof).encode());
  }

  private static String proof(KeyPair device, String username, Instant at) throws Exception {
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(device.getPrivate());
    signer.update(RememberedDevices.proofInput(username, at.toEpochMilli()));
    return at.toEpochMilli() + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(signer.sign());
  }

  private static String credentials(String username, String password) {
    return new JsonObject().put("username", username).put("password", password).encode();
  }
}
