package dev.outpost.admin;

import static dev.outpost.admin.AdminCalls.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.identity.Totp;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API tokens against a real site: what each scope may do, expiry and revocation, service accounts, that a token never
 * becomes a store or console session and never needs a second factor, that only its hash is stored, and the audit
 * log. (Every route with every scope: {@link AdminAuthzTest}.)
 */
class ApiTokenTest {

  private static final String PASSWORD = "api-token-password-1";

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static AdminCalls admin;

  @BeforeAll
  static void startSite() {
    site = TestSite.start(tmp.resolve("node"));
    client = site.client();
    admin = new AdminCalls(client, site.adminToken());
  }

  @AfterAll
  static void stopSite() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void aReadOnlyTokenReadsAndCannotWrite() {
    // GIVEN a read-only personal token of the admin
    JsonObject created = admin.create("api-tokens", new JsonObject().put("name", "monitoring").put("scope",
        "read-only").put("expiresInDays", 7));
    String token = created.getString("token");

    // THEN it was answered once with its details, and is listed without the secret
    assertThat(token).startsWith("opat.");
    assertThat(created.getString("owner")).isEqualTo("admin");
    assertThat(Instant.parse(created.getString("expiresAt"))).isAfter(Instant.now().plusSeconds(6 * 86_400));
    assertThat(admin.list("api-tokens").encode()).contains("monitoring").doesNotContain(token);

    // WHEN it reads and writes
    Response read = client.get("/admin/api/v1/pools", token);
    Response write = client.post("/admin/api/v1/pools", token,
        new JsonObject().put("name", "from-token").put("maxSessionsPerHost", 1).encode());

    // THEN reading works and writing is refused, saying why
    assertThat(read.status()).isEqualTo(200);
    assertThat(assertProblem(write, 403)).contains("read-only");
    assertThat(admin.list("pools").encode()).doesNotContain("from-token");
  }

  @Test
  void aSessionAdminTokenSeesOnlySessions() {
    // GIVEN a session-admin token of a help-desk account, made by that account
    createUser("desk", "session-admin");
    String desk = client.login("desk", PASSWORD);
    Response created = client.post("/admin/api/v1/api-tokens", desk,
        new JsonObject().put("name", "desk-script").put("scope", "session-admin").encode());
    String token = created.created().getString("token");

    // THEN it lists sessions and nothing else; an admin scope is not the help desk's to give
    assertThat(client.get("/admin/api/v1/sessions", token).status()).isEqualTo(200);
    assertProblem(client.get("/admin/api/v1/pools", token), 403);
    assertProblem(client.get("/admin/api/v1/users", token), 403);
    assertThat(assertProblem(client.post("/admin/api/v1/api-tokens", desk,
        new JsonObject().put("name", "more").put("scope", "admin").encode()), 400)).contains("is no admin");
    // AND the help desk sees only its own tokens
    assertThat(client.get("/admin/api/v1/api-tokens", desk).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).map(t -> t.getString("owner")).distinct().toList()).containsExactly("desk");
  }

  @Test
  void expiredAndRevokedTokensAreRefused() {
    // GIVEN two working admin tokens
    JsonObject expiring = admin.create("api-tokens", new JsonObject().put("name", "expiring").put("scope", "admin"));
    JsonObject revoking = admin.create("api-tokens", new JsonObject().put("name", "revoking").put("scope", "admin"));
    assertThat(client.get("/admin/api/v1/pools", expiring.getString("token")).status()).isEqualTo(200);
    assertThat(client.get("/admin/api/v1/pools", revoking.getString("token")).status()).isEqualTo(200);

    // WHEN one's expiry passes and the other is revoked
    Sql.update(site, "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = 'expiring'");
    admin.deleteOk("api-tokens", revoking.getString("id"));

    // THEN both are refused with a reason, and listed as such
    assertThat(assertProblem(client.get("/admin/api/v1/pools", expiring.getString("token")), 401)).contains("expired");
    assertThat(assertProblem(client.get("/admin/api/v1/pools", revoking.getString("token")), 401)).contains("revoked");
    List<JsonObject> listed = admin.list("api-tokens").stream().map(JsonObject.class::cast).toList();
    assertThat(listed).filteredOn(t -> t.getString("name").equals("expiring")).extracting(t -> t.getString("state"))
        .containsExactly("expired");
    assertThat(listed).filteredOn(t -> t.getString("name").equals("revoking")).extracting(t -> t.getString("state"))
        .containsExactly("revoked");
  }

  @Test
  void aTokenNeverBecomesAStoreOrConsoleSession() {
    // GIVEN an admin token
    String token = admin.create("api-tokens", new JsonObject().put("name", "no-console").put("scope", "admin"))
        .getString("token");

    // WHEN it is used where the store and the console sign in: who am I, the store, sign-in with it as a password,
    // and as the session cookie
    Response me = client.get("/api/v1/me", token);
    Response resources = client.get("/api/v1/resources", token);
    Response login = client.post("/api/v1/login", null,
        new JsonObject().put("username", "admin").put("password", token).encode());
    Response cookie = client.send("GET", "/admin/api/v1/pools", null, null, null,
        Map.of("Cookie", "__Host-outpost_session=" + token));

    // THEN none of them opens anything
    assertThat(assertProblem(me, 403)).contains("never open the store or the console");
    assertProblem(resources, 403);
    assertProblem(login, 401);
    assertThat(login.headers().firstValue("set-cookie")).isEmpty();
    assertThat(assertProblem(cookie, 401)).contains("Authorization header");
  }

  @Test
  void aServiceAccountOwnsTokensAndNeverSignsIn() {
    // GIVEN a service account with the admin role
    JsonObject robot = admin.create("users", new JsonObject().put("username", "ci-robot").put("serviceAccount", true)
        .put("roles", new JsonArray().add("admin")));
    assertThat(robot.getBoolean("serviceAccount")).isTrue();

    // WHEN an admin makes a token for it, and it acts with it
    JsonObject created = admin.create("api-tokens", new JsonObject().put("name", "deploy").put("scope", "admin")
        .put("owner", "ci-robot"));
    Response pool = client.post("/admin/api/v1/pools", created.getString("token"),
        new JsonObject().put("name", "robot-pool").put("maxSessionsPerHost", 2).encode());

    // THEN it works, and the audit log names the account and the token
    assertThat(pool.status()).as(pool.body()).isEqualTo(201);
    assertThat(admin.list("audit?limit=20").stream().map(JsonObject.class::cast)
        .filter(e -> e.getString("action").equals("pool.create")).map(e -> e.getString("actor")).toList())
        .contains("ci-robot [API token deploy]");
    // AND a service account takes no password, and a person gets no token made by someone else
    assertThat(assertProblem(admin.put("users", "ci-robot", new JsonObject().put("password", PASSWORD)), 400))
        .contains("no password");
    createUser("paula");
    assertThat(assertProblem(admin.post("api-tokens", new JsonObject().put("name", "x").put("scope", "read-only")
        .put("owner", "paula")), 400)).contains("people make their own tokens");

    // WHEN the service account is disabled THEN its token stops working
    admin.put("users", "ci-robot", new JsonObject().put("disabled", true));
    assertThat(assertProblem(client.get("/admin/api/v1/pools", created.getString("token")), 401)).contains("disabled");
  }

  @Test
  void aSecondFactorNeverBlocksATokenAndOnlyTheHashIsStored() {
    // GIVEN an admin with an authenticator app enrolled, who signs in with it and makes a token
    createUser("mona", "admin");
    String session = client.login("mona", PASSWORD);
    String secret = client.post("/api/v1/second-factor/totp", session, null).json().getString("secret");
    assertThat(client.post("/api/v1/second-factor/totp/confirm", session, new JsonObject().put("code",
        Totp.code(secret, Totp.step(Instant.now()))).encode()).status()).isEqualTo(200);
    assertThat(client.post("/api/v1/login", null, new JsonObject().put("username", "mona").put("password", PASSWORD)
        .encode()).json().getString("type")).endsWith("second-factor-required");
    JsonObject created = client.post("/admin/api/v1/api-tokens", session,
        new JsonObject().put("name", "mona-cli").put("scope", "admin").encode()).created();

    // WHEN the token is used THEN no code is asked for
    assertThat(client.get("/admin/api/v1/users", created.getString("token")).status()).isEqualTo(200);

    // AND the database holds its hash, never the token; making it was audited with who, what and until when
    assertThat(Sql.rows(site, "SELECT * FROM api_tokens WHERE name = 'mona-cli'").get(0).encode())
        .doesNotContain(created.getString("token").substring(5));
    JsonObject audited = admin.list("audit?limit=50").stream().map(JsonObject.class::cast)
        .filter(e -> e.getString("action").equals("api-token.create") && e.getString("targetName").equals("mona-cli"))
        .findFirst().orElseThrow();
    assertThat(audited.getString("actor")).isEqualTo("mona");
    assertThat(audited.getJsonObject("detail").getString("scope")).isEqualTo("admin");
  }

  private static void createUser(String name, String... roles) {
    JsonObject body = new JsonObject().put("username", name).put("password", PASSWORD);
    if (roles.length > 0) {
      body.put("roles", new JsonArray(List.of(roles)));
    }
    admin.create("users", body);
  }
}
