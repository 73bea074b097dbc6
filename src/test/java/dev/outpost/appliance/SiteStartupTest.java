package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.crypto.PasswordHasher;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteStartupTest {

  @TempDir
  Path tmp;

  @Test
  void freshDataDirBecomesReadyAndSignsInTheBootstrapAdmin() {
    // GIVEN an empty data dir
    try (TestSite site = TestSite.start(tmp.resolve("node"))) {
      // WHEN the site has started
      Response ready = site.client().get("/health/ready", null);

      // THEN every readiness check is up and the admin can sign in
      assertThat(ready.status()).as(ready.body()).isEqualTo(200);
      JsonObject checks = ready.json().getJsonObject("checks");
      assertThat(checks.fieldNames()).containsExactlyInAnyOrder("startup", "db", "cluster", "hub", "drain");
      checks.forEach(e -> assertThat(((JsonObject) e.getValue()).getString("status")).as(e.getKey()).isEqualTo("UP"));
      assertThat(site.adminToken()).hasSizeGreaterThan(40);
      assertThat(site.client().get("/health/live", null).status()).isEqualTo(200);
      assertThat(site.console()).contains("Bootstrap admin created: user 'admin' with the password from");
    }
  }

  @Test
  void restartOnTheSameDataDirKeepsDataAndCertificates() throws Exception {
    // GIVEN a site that created its CA and an extra account, then stopped
    Path dir = tmp.resolve("node");
    String caBefore;
    try (TestSite site = TestSite.start(dir)) {
      caBefore = Files.readString(dir.resolve("tls/ca.crt"));
      addUser(site, "keeper");
    }

    // WHEN it starts again on the same data dir
    try (TestSite site = TestSite.start(dir)) {
      // THEN the CA is unchanged, the TLS client that pinned it still connects, and the account is still there
      assertThat(Files.readString(dir.resolve("tls/ca.crt"))).isEqualTo(caBefore);
      assertThat(site.client().login("keeper", "keeper-password-123")).isNotEmpty();
      assertThat(site.console()).doesNotContain("Bootstrap admin created");
    }
  }

  @Test
  void aNodeKeepsItsIdAcrossRestartsAndPeopleReadItsName() throws Exception {
    // GIVEN a node with a public name, which an admin changed something on, then stopped
    Path dir = tmp.resolve("node");
    Map<String, String> named = Map.of("http.public-names", "outpost-a.example.test");
    String before;
    try (TestSite site = TestSite.start(dir, named)) {
      before = localNode(site).getString("node");
      String admin = site.adminToken();
      assertThat(site.client().post("/admin/api/v1/pools", admin, "{\"name\":\"named\",\"maxSessionsPerHost\":1}")
          .status()).isEqualTo(201);

      // THEN the node list and the audit log name it by its public name, not by its id
      assertThat(localNode(site).getString("name")).isEqualTo("outpost-a.example.test");
      JsonObject entry = site.client().get("/admin/api/v1/audit?targetType=pool", admin).json().getJsonArray("items")
          .getJsonObject(0);
      assertThat(entry.getString("node")).isEqualTo("outpost-a.example.test");
    }

    // WHEN it starts again on the same data dir
    try (TestSite site = TestSite.start(dir, named)) {
      // THEN it has the same id, kept in the data dir for its owner only
      assertThat(localNode(site).getString("node")).isEqualTo(before);
      assertThat(Files.readString(dir.resolve("node-id")).strip()).isEqualTo(before);
      assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
          dir.resolve("node-id")))).isEqualTo("rw-------");
    }
  }

  @Test
  void theDemoResourceReachesTheConfiguredSshPortAndFollowsIt() throws Exception {
    // GIVEN a demo site started as the quick start says, on a machine whose sshd is not on port 22
    Path dir = tmp.resolve("node");
    try (TestSite site = TestSite.start(dir, Map.of("demo", "true"))) {
      assertThat(demoPort(site)).isEqualTo(22);
    }

    // WHEN it starts again with the port of that sshd
    try (TestSite site = TestSite.start(dir, Map.of("demo", "true", "demo-ssh-port", "2222"))) {
      // THEN the demo resource reaches that port, and the demo user still has it
      assertThat(demoPort(site)).isEqualTo(2222);
      String demo = site.client().get("/admin/api/v1/entitlements", site.adminToken()).json().getJsonArray("items")
          .stream().map(JsonObject.class::cast).filter(e -> "demo-ssh".equals(e.getString("resource")))
          .findFirst().orElseThrow().getString("user");
      assertThat(demo).isEqualTo("demo");
    }
  }

  @Test
  void aSecondNodeOnTheSameDataDirRefusesToStart() {
    // GIVEN a running site
    Path dir = tmp.resolve("node");
    try (TestSite site = TestSite.start(dir)) {
      // WHEN a second node starts on its data dir
      // THEN it refuses with a message that names the data dir and the fix, and the first keeps serving
      assertThatThrownBy(() -> TestSite.start(dir))
          .rootCause()
          .isInstanceOf(StartupException.class)
          .hasMessageContaining("is in use by another Outpost process")
          .hasMessageContaining("--data-dir");
      assertThat(site.client().get("/health/ready", null).status()).isEqualTo(200);
    }
  }

  @Test
  void anExternalPostgresFromDbUrlIsUsedInsteadOfTheEmbeddedOne() throws Exception {
    // GIVEN a PostgreSQL server that is not the appliance's own
    try (var external = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("external-pg")).setCleanDataDirectory(true)
        .setOverrideWorkingDirectory(tmp.resolve("external-pg-run").toFile()).start()) {
      String url = "postgresql://postgres@127.0.0.1:" + external.getPort() + "/postgres";

      // WHEN a site starts with db.url pointing at it
      try (TestSite site = TestSite.start(tmp.resolve("node"), Map.of("db.url", url))) {
        addUser(site, "external");

        // THEN no embedded database was created, the node list names the external server to admins (readiness,
        // which anyone may read, does not), and the data lives there
        assertThat(tmp.resolve("node/db/pgdata")).doesNotExist();
        String where = "external PostgreSQL at 127.0.0.1:" + external.getPort();
        assertThat(site.client().get("/health/ready", null).body()).doesNotContain(String.valueOf(external.getPort()));
        dev.outpost.testing.Poll.until("the node's published status", java.time.Duration.ofSeconds(20),
            () -> site.client().get("/admin/api/v1/nodes", site.adminToken()).body().contains(where));
        try (var conn = external.getPostgresDatabase().getConnection();
            var rs = conn.createStatement().executeQuery("SELECT count(*) FROM users WHERE username = 'external'")) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(1);
        }
      }
    }
  }

  private static int demoPort(TestSite site) {
    return site.client().get("/admin/api/v1/resources/demo-ssh", site.adminToken()).json().getInteger("port");
  }

  private static JsonObject localNode(TestSite site) {
    return site.client().get("/admin/api/v1/nodes", site.adminToken()).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(n -> n.getBoolean("local")).findFirst().orElseThrow();
  }

  /** Creates an account straight in the database, so that this test does not depend on the admin API. */
  private static void addUser(TestSite site, String username) throws Exception {
    String hash = PasswordHasher.create().hash(username + "-password-123");
    site.node().database().pool()
        .preparedQuery("INSERT INTO users(id, username, password_hash) VALUES (gen_random_uuid(), $1, $2)")
        .execute(Tuple.of(username, hash))
        .toCompletionStage().toCompletableFuture().get();
  }
}
