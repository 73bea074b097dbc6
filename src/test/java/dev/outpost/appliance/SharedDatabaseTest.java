package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.crypto.SecretBox;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Slapd;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Appliances on one external PostgreSQL share the key that seals the secrets stored there (directory bind passwords,
 * lease signing keys): the database keeps it sealed under {@code cluster.secret}, so that a directory made at one
 * node is used at another without copying {@code secrets/directory.key} by hand.
 */
class SharedDatabaseTest {

  private static final String SECRET = "shared-database-cluster-secret-0123";
  private static final String SERVICE_DN = "cn=outpost,ou=services," + Slapd.SUFFIX;
  private static final String SERVICE_SECRET = "service-secret-0123";
  private static final String ALICE_PASSWORD = "alice-directory-pw";
  private static final String LDIF = """
      dn: dc=example,dc=org
      objectClass: dcObject
      objectClass: organization
      o: Example
      dc: example

      dn: ou=people,dc=example,dc=org
      objectClass: organizationalUnit
      ou: people

      dn: ou=services,dc=example,dc=org
      objectClass: organizationalUnit
      ou: services

      dn: cn=outpost,ou=services,dc=example,dc=org
      objectClass: organizationalRole
      objectClass: simpleSecurityObject
      cn: outpost
      userPassword: service-secret-0123

      dn: uid=alice,ou=people,dc=example,dc=org
      objectClass: inetOrgPerson
      uid: alice
      cn: Alice Adams
      sn: Adams
      userPassword: alice-directory-pw
      """;

  @TempDir
  static Path tmp;
  static Slapd slapd;
  static io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres;

  @BeforeAll
  static void start() throws Exception {
    slapd = Slapd.start(tmp.resolve("slapd"), LDIF);
    postgres = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("external-pg")).setCleanDataDirectory(true)
        .setOverrideWorkingDirectory(tmp.resolve("external-pg-run").toFile()).start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (postgres != null) {
      postgres.close();
    }
    if (slapd != null) {
      slapd.close();
    }
  }

  @Test
  void aDirectoryMadeAtOneNodeIsUsedAtAnotherThatSharesTheDatabaseAndTheClusterSecret() throws Exception {
    // GIVEN node 1 of a site on an external PostgreSQL, where an admin made a directory (its bind secret sealed)
    String url = database("shared_site");
    int firstPort = FreePorts.next();
    Path first = tmp.resolve("site-node-1");
    try (TestSite one = TestSite.start(first, on(url, TestSite.clusterSettings("shared", SECRET, firstPort, null)))) {
      Response created = one.client().post("/admin/api/v1/directories", one.adminToken(), directory().encode());
      assertThat(created.status()).as(created.body()).isEqualTo(201);

      // WHEN node 2 joins it on the same database, with the same cluster secret and no key file of its own
      Path second = tmp.resolve("site-node-2");
      try (TestSite two = TestSite.start(second, on(url, TestSite.clusterSettings("shared", SECRET,
          FreePorts.next(), firstPort)))) {
        // THEN a directory user signs in at node 2: the bind secret node 1 stored opens there
        assertThat(two.client().login("alice", ALICE_PASSWORD)).isNotEmpty();
        // AND node 2 keeps a copy of the site's key in its data dir, where backups take it
        assertThat(Files.readString(second.resolve("secrets/directory.key")))
            .isEqualTo(Files.readString(first.resolve("secrets/directory.key")));
      }

      // WHEN a node with another cluster secret starts on that database
      // THEN it is refused in one line that names cluster.secret and how to find the right one
      assertThatThrownBy(() -> TestSite.start(tmp.resolve("stranger"), on(url, TestSite.clusterSettings("stranger",
          "another-cluster-secret-0123456789", FreePorts.next(), null))))
          .rootCause()
          .isInstanceOf(StartupException.class)
          .hasMessageStartingWith("cluster.secret: ")
          .hasMessageContaining("join-command")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }
  }

  @Test
  void aSiteFromBeforeKeepsItsNodesKeyAndANodeWithAnotherKeyFileIsToldWhichFileToMove() throws Exception {
    // GIVEN a node that stored a directory in an external database that does not keep the key yet (an earlier
    // version), and a second node whose data dir holds another key file
    String url = database("upgraded_site");
    Map<String, String> settings = Map.of("db.url", url, "cluster.secret", SECRET);
    Path first = tmp.resolve("upgraded-node-1");
    try (TestSite one = TestSite.start(first, settings)) {
      Response created = one.client().post("/admin/api/v1/directories", one.adminToken(), directory().encode());
      assertThat(created.status()).as(created.body()).isEqualTo(201);
    }
    sql(url, "DELETE FROM stored_secrets_key");
    Path second = tmp.resolve("upgraded-node-2");
    Path secondKey = second.resolve("secrets/directory.key");
    SecretBox.loadOrCreate(secondKey);

    // WHEN the second node starts first
    // THEN it is refused in one line that names its key file, and the database keeps no key of it
    assertThatThrownBy(() -> TestSite.start(second, settings))
        .rootCause()
        .isInstanceOf(StartupException.class)
        .hasMessageStartingWith(secondKey + " does not open the secrets the database already holds")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThat(count(url, "SELECT count(*) FROM stored_secrets_key")).isZero();

    // WHEN the first node starts again
    try (TestSite one = TestSite.start(first, settings)) {
      // THEN the database keeps its key, and its directory users sign in
      assertThat(count(url, "SELECT count(*) FROM stored_secrets_key")).isEqualTo(1);
      assertThat(one.client().login("alice", ALICE_PASSWORD)).isNotEmpty();

      // WHEN the second node starts with its other key file
      // THEN it is refused in one line that names the file and the fix
      assertThatThrownBy(() -> TestSite.start(second, settings))
          .rootCause()
          .isInstanceOf(StartupException.class)
          .hasMessageStartingWith(secondKey + " holds another key for stored secrets than the one the database keeps")
          .hasMessageContaining("move that file away")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));

      // WHEN the admin moves that file away as told
      Files.move(secondKey, second.resolve("secrets/directory.key.old"));
      try (TestSite two = TestSite.start(second, settings)) {
        // THEN the second node takes the database's key, and the directory user signs in there too
        assertThat(two.client().login("alice", ALICE_PASSWORD)).isNotEmpty();
        assertThat(Files.readString(secondKey)).isEqualTo(Files.readString(first.resolve("secrets/directory.key")));
      }
    }
  }

  private static JsonObject directory() {
    return new JsonObject().put("name", "corp").put("kind", "openldap").put("urls", new JsonArray().add(slapd.url()))
        .put("tls", "none").put("bindDn", SERVICE_DN).put("bindSecret", SERVICE_SECRET)
        .put("userBase", "ou=people," + Slapd.SUFFIX);
  }

  private static Map<String, String> on(String url, Map<String, String> settings) {
    Map<String, String> all = new HashMap<>(settings);
    all.put("db.url", url);
    return all;
  }

  /** A new database on the external server, for one test's site. */
  private static String database(String name) throws Exception {
    try (Connection conn = postgres.getPostgresDatabase().getConnection()) {
      conn.createStatement().execute("CREATE DATABASE " + name);
    }
    return "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/" + name;
  }

  private static void sql(String url, String statement) throws Exception {
    try (Connection conn = connect(url)) {
      conn.createStatement().execute(statement);
    }
  }

  private static long count(String url, String query) throws Exception {
    try (Connection conn = connect(url); ResultSet rs = conn.createStatement().executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static Connection connect(String url) throws Exception {
    return postgres.getDatabase("postgres", url.substring(url.lastIndexOf('/') + 1)).getConnection();
  }
}
