package dev.outpost.hosts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.EnrollmentToken;
import dev.outpost.crypto.CertificateRequests;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.testing.Burst;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrollment tokens through the admin API, and enrollment with them: a valid token buys one client
 * certificate and one host row; a forged, expired, used-up or revoked token buys nothing.
 */
class EnrollmentTest {

  private static final String TOKENS = "/admin/api/v1/enroll-tokens";
  private static final String ENROLL = "/agent/v1/enroll";
  private static final String USER_PASSWORD = "enroll-test-password-1";

  @TempDir
  static Path tmp;
  static TestSite site;
  static String adminToken;

  @BeforeAll
  static void startSite() {
    site = TestSite.start(tmp.resolve("node"));
    adminToken = site.adminToken();
    post("/admin/api/v1/pools", new JsonObject().put("name", "linux").put("maxSessionsPerHost", 5), 201);
    post("/admin/api/v1/users", new JsonObject().put("username", "plain-user").put("password", USER_PASSWORD)
        .put("roles", new JsonArray().add("user")), 201);
  }

  @AfterAll
  static void stopSite() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void anAdminCreatesListsAndRevokesTokensAndEachChangeIsAudited() {
    // WHEN an admin creates a token for two hosts, valid for an hour
    JsonObject created = post(TOKENS, new JsonObject().put("pool", "linux").put("uses", 2).put("ttlSeconds", 3600),
        201);

    // THEN it embeds the site CA fingerprint and a 256-bit secret, and comes with a ready-to-paste command
    String token = created.getString("token");
    EnrollmentToken parsed = EnrollmentToken.parse(token, EnrollmentToken.AGENT).orElseThrow();
    assertThat(parsed.caFingerprint()).isEqualTo(site.node().caFingerprint());
    assertThat(created.getString("pool")).isEqualTo("linux");
    assertThat(created.getInteger("uses")).isEqualTo(2);
    assertThat(Instant.parse(created.getString("expiresAt")))
        .isBetween(Instant.now().plus(Duration.ofMinutes(59)), Instant.now().plus(Duration.ofMinutes(61)));
    // (named as other machines reach the node, not by the loopback address this client used)
    String nodeName = site.client().get("/admin/api/v1/nodes", adminToken).json().getJsonArray("items")
        .getJsonObject(0).getString("name");
    assertThat(created.getString("command")).isEqualTo("outpost agent --appliance https://" + nodeName + ":"
        + site.httpsPort() + " --token " + token + " --address <HOST_IP>");

    // AND only the secret's hash is stored, and the list never shows the secret
    String id = created.getString("id");
    assertThat(Sql.rows(site, "SELECT token_hash FROM enroll_tokens WHERE id::text = $1", id))
        .extracting(row -> row.getString("token_hash")).containsExactly(SecureTokens.hash(parsed.secret()));
    Response list = site.client().get(TOKENS, adminToken);
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.body()).contains(id).doesNotContain(parsed.secret());
    assertThat(item(list, id).getString("state")).isEqualTo("active");

    // WHEN the admin revokes it (twice)
    assertThat(site.client().delete(TOKENS + "/" + id, adminToken).status()).isEqualTo(204);
    assertThat(site.client().delete(TOKENS + "/" + id, adminToken).status()).isEqualTo(204);

    // THEN it is listed as revoked, and the audit log has one create and one revoke, without the secret
    assertThat(item(site.client().get(TOKENS, adminToken), id).getString("state")).isEqualTo("revoked");
    Response audit = site.client().get("/admin/api/v1/audit?targetType=enroll-token", adminToken);
    assertThat(audit.body()).doesNotContain(parsed.secret());
    List<String> actions = audit.json().getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(row -> id.equals(row.getString("targetId"))).map(row -> row.getString("action")).toList();
    assertThat(actions).containsExactly("enroll-token.revoke", "enroll-token.create");
  }

  @Test
  void badTokenRequestsAreProblemsAndCreateNothing() {
    long before = Sql.count(site, "SELECT count(*) FROM enroll_tokens");

    assertProblem(site.client().post(TOKENS, adminToken, new JsonObject().put("pool", "nope").encode()), 400);
    assertProblem(site.client().post(TOKENS, adminToken, new JsonObject().put("pool", "linux").put("uses", 0)
        .encode()), 400);
    assertProblem(site.client().post(TOKENS, adminToken, new JsonObject().put("pool", "linux").put("uses", 1001)
        .encode()), 400);
    assertProblem(site.client().post(TOKENS, adminToken, new JsonObject().put("pool", "linux").put("ttlSeconds", 59)
        .encode()), 400);
    assertProblem(site.client().post(TOKENS, adminToken, new JsonObject().put("uses", 1).encode()), 400);
    assertProblem(site.client().delete(TOKENS + "/3f1c0e42-1111-4a4a-9b9b-123456789abc", adminToken), 404);
    assertProblem(site.client().delete(TOKENS + "/not-an-id", adminToken), 404);

    assertThat(Sql.count(site, "SELECT count(*) FROM enroll_tokens")).isEqualTo(before);
  }

  @Test
  void onlyAdminsManageTokens() {
    String userToken = site.client().login("plain-user", USER_PASSWORD);
    String body = new JsonObject().put("pool", "linux").encode();
    long before = Sql.count(site, "SELECT count(*) FROM enroll_tokens");

    assertProblem(site.client().post(TOKENS, null, body), 401);
    assertProblem(site.client().get(TOKENS, null), 401);
    assertProblem(site.client().post(TOKENS, userToken, body), 403);
    assertProblem(site.client().get(TOKENS, userToken), 403);

    assertThat(Sql.count(site, "SELECT count(*) FROM enroll_tokens")).isEqualTo(before);
  }

  @Test
  void aValidTokenEnrollsAHostWithACertificateFromTheSiteCa() throws Exception {
    // GIVEN a two-use token and a key pair made on the host
    String token = newToken(2);
    KeyPair key = SiteCertificates.newKeyPair();

    // WHEN the host enrolls with a certificate request
    JsonObject enrolled = post(ENROLL, new JsonObject().put("token", token).put("name", "web-01")
        .put("address", "10.0.0.11").put("csr", CertificateRequests.pem(key, "CN=web-01")), 201);

    // THEN it gets a client certificate for its own key, signed by the site CA, naming the new host
    String hostId = enrolled.getString("hostId");
    X509Certificate certificate = Pem.parseCertificate(enrolled.getString("certificate"));
    X509Certificate ca = Pem.parseCertificate(enrolled.getString("ca"));
    assertThat(Fingerprints.sha256(ca)).isEqualTo(site.node().caFingerprint());
    certificate.verify(ca.getPublicKey());
    assertThat(certificate.getPublicKey()).isEqualTo(key.getPublic());
    assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=" + hostId + ",OU=outpost-agent");
    assertThat(certificate.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThat(certificate.getNotAfter().toInstant()).isAfter(Instant.now().plus(Duration.ofDays(360)));
    assertThat(enrolled.getString("pool")).isEqualTo("linux");

    // AND the host row holds the certificate's fingerprint, one use is gone, and the enrollment is audited
    assertThat(Sql.rows(site, "SELECT h.name, h.address, h.certificate_sha256, p.name AS pool FROM hosts h "
        + "JOIN pools p ON p.id = h.pool_id WHERE h.id::text = $1", hostId)).singleElement().satisfies(row -> {
          assertThat(row.getString("name")).isEqualTo("web-01");
          assertThat(row.getString("address")).isEqualTo("10.0.0.11");
          assertThat(row.getString("certificate_sha256")).isEqualTo(Fingerprints.sha256(certificate));
          assertThat(row.getString("pool")).isEqualTo("linux");
        });
    assertThat(usesLeft(token)).isEqualTo(1);
    assertThat(Sql.count(site, "SELECT count(*) FROM audit_log WHERE action = 'host.enroll' AND target_id = $1",
        hostId)).isEqualTo(1);

    // AND a bare public key works as well as a request
    JsonObject second = post(ENROLL, new JsonObject().put("token", token).put("name", "web-02")
        .put("address", "web-02.example").put("publicKey", CertificateRequests.publicKeyPem(
            SiteCertificates.newKeyPair())), 201);
    assertThat(second.getString("hostId")).isNotEqualTo(hostId);
    assertThat(usesLeft(token)).isZero();
  }

  @Test
  void forgedExpiredUsedUpRevokedAndForeignTokensAreRefusedAndChangeNothing() {
    String used = newToken(1);
    enroll(used, "once");
    String expired = newToken(3);
    Sql.update(site, "UPDATE enroll_tokens SET expires_at = now() - interval '1 minute' WHERE token_hash = $1",
        hash(expired));
    String revoked = newToken(3);
    String revokedId = Sql.rows(site, "SELECT id::text AS id FROM enroll_tokens WHERE token_hash = $1", hash(revoked))
        .get(0).getString("id");
    assertThat(site.client().delete(TOKENS + "/" + revokedId, adminToken).status()).isEqualTo(204);
    String valid = newToken(3);
    String forged = valid.substring(0, valid.lastIndexOf('.') + 1) + SecureTokens.random(32);
    String foreign = "OPT1." + "ab".repeat(32) + valid.substring(valid.lastIndexOf('.'));
    long hosts = Sql.count(site, "SELECT count(*) FROM hosts");
    long uses = Sql.count(site, "SELECT sum(uses_left) FROM enroll_tokens");

    assertThat(assertProblem(enroll(forged, "forged"), 401)).contains("unknown enrollment token");
    assertThat(assertProblem(enroll(foreign, "foreign"), 401)).contains("another site");
    assertThat(assertProblem(enroll("hello", "garbage"), 401)).contains("not an Outpost enrollment token");
    assertThat(assertProblem(enroll(expired, "late"), 403)).contains("expired");
    assertThat(assertProblem(enroll(used, "again"), 403)).contains("used up");
    assertThat(assertProblem(enroll(revoked, "revoked"), 403)).contains("revoked");

    assertThat(Sql.count(site, "SELECT count(*) FROM hosts")).isEqualTo(hosts);
    assertThat(Sql.count(site, "SELECT sum(uses_left) FROM enroll_tokens")).isEqualTo(uses);
  }

  @Test
  void aParallelBurstOfGuessedTokensFromOneAddressGetsNoMoreAnswersThanTheLimit() throws Exception {
    // GIVEN 200 enrollments with well-formed tokens of this site whose secrets are guesses, sent at once from one
    // address
    String ofThisSite = EnrollmentToken.AGENT + "." + site.node().caFingerprint() + ".";
    String csr = CertificateRequests.pem(SiteCertificates.newKeyPair(), "CN=guesser");
    List<Burst.Request> guesses = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      guesses.add(new Burst.Request("127.0.4.1", site.httpsPort(), ENROLL, new JsonObject()
          .put("token", ofThisSite + SecureTokens.random(32)).put("name", "guess-" + i).put("address", "10.0.0.98")
          .put("csr", csr).encode()));
    }

    // WHEN they are sent
    Burst.Result burst = Burst.send(site.dataDir().resolve("tls/ca.crt"), guesses);

    // THEN no more tokens were looked up than the address may fail per minute (10, and so many more for each
    // further minute a slow machine took); the rest got 429 unchecked
    assertThat(burst.answers()).allSatisfy(a -> assertThat(a.status()).as(a.body()).isIn(401, 429));
    int perMinute = AgentEndpoint.Settings.DEFAULTS.enrollFailuresPerMinute();
    assertThat(burst.count(401)).as("tokens checked").isLessThanOrEqualTo(perMinute * (burst.took().toMinutes() + 1));
    assertThat(burst.answers().stream().filter(a -> a.status() == 429).findFirst().orElseThrow().body())
        .containsAnyOf("too many failed enrollment attempts", "are being checked");
  }

  private static Response enroll(String token, String name) {
    return site.client().post(ENROLL, null, new JsonObject().put("token", token).put("name", name)
        .put("address", "10.0.0.99").put("csr", CertificateRequests.pem(SiteCertificates.newKeyPair(), "CN=" + name))
        .encode());
  }

  private static String newToken(int uses) {
    return post(TOKENS, new JsonObject().put("pool", "linux").put("uses", uses), 201).getString("token");
  }

  private static String hash(String token) {
    return EnrollmentToken.parse(token, EnrollmentToken.AGENT).orElseThrow().secretHash();
  }

  private static long usesLeft(String token) {
    return Sql.count(site, "SELECT uses_left FROM enroll_tokens WHERE token_hash = $1", hash(token));
  }

  private static JsonObject item(Response list, String id) {
    return list.json().getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(row -> id.equals(row.getString("id"))).findFirst().orElseThrow();
  }

  private static JsonObject post(String path, JsonObject body, int status) {
    Response response = site.client().post(path, path.startsWith("/admin") ? adminToken : null, body.encode());
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    return response.json();
  }

  static String assertProblem(Response response, int status) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.contentType()).startsWith("application/problem+json");
    assertThat(response.json().getString("detail")).isNotBlank();
    assertThat(response.body()).doesNotContain("Exception");
    return response.json().getString("detail");
  }
}
