package dev.outpost.identity.directory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Slapd;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Directory sign-in against a real OpenLDAP {@code slapd}: directory users and their (nested) groups,
 * refusals, offline sign-in while the directory is down, failover between URLs, and StartTLS/LDAPS with a
 * pinned CA.
 */
class DirectorySignInTest {

  static final String PEOPLE = "ou=people," + Slapd.SUFFIX;
  static final String GROUPS = "ou=groups," + Slapd.SUFFIX;
  static final String SERVICE_DN = "cn=outpost,ou=services," + Slapd.SUFFIX;
  static final String SERVICE_SECRET = "service-secret-0123";
  static final String LDIF = """
      dn: dc=example,dc=org
      objectClass: dcObject
      objectClass: organization
      o: Example
      dc: example

      dn: ou=people,dc=example,dc=org
      objectClass: organizationalUnit
      ou: people

      dn: ou=groups,dc=example,dc=org
      objectClass: organizationalUnit
      ou: groups

      dn: ou=services,dc=example,dc=org
      objectClass: organizationalUnit
      ou: services

      dn: cn=outpost,ou=services,dc=example,dc=org
      objectClass: organizationalRole
      objectClass: simpleSecurityObject
      cn: outpost
      userPassword: service-secret-0123
      """ + user("alice", "Alice Adams") + user("bob", "Bob Brown") + user("carol", "Carol Clark")
      + user("dave", "Dave Davis") + user("erin", "Erin Evans") + user("frank", "Frank Fox")
      + user("gina", "Gina Green") + """

      dn: cn=engineers,ou=groups,dc=example,dc=org
      objectClass: groupOfNames
      cn: engineers
      member: uid=bob,ou=people,dc=example,dc=org

      dn: cn=staff,ou=groups,dc=example,dc=org
      objectClass: groupOfNames
      cn: staff
      member: uid=alice,ou=people,dc=example,dc=org
      member: uid=erin,ou=people,dc=example,dc=org
      member: cn=engineers,ou=groups,dc=example,dc=org
      """;

  @TempDir
  static Path tmp;
  static Slapd slapd;
  static TestSite site;
  static SiteClient client;
  static String admin;
  static String directoryId;

  static String user(String uid, String name) {
    return "\ndn: uid=" + uid + ",ou=people,dc=example,dc=org\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: "
        + name + "\nsn: " + name.substring(name.indexOf(' ') + 1) + "\nuserPassword: " + password(uid) + "\n";
  }

  static String password(String uid) {
    return uid + "-directory-pw";
  }

  @BeforeAll
  static void start() throws InterruptedException {
    slapd = Slapd.start(tmp.resolve("slapd"), LDIF);
    site = TestSite.start(tmp.resolve("node"), Map.of(
        "identity.login.max-failures-per-user", "3",
        "identity.login.max-failures-per-address", "1000",
        "identity.login.window", "1h",
        "directory.connect-timeout", "1s",
        "directory.timeout", "2s"));
    client = site.client();
    admin = site.adminToken();
    Response created = client.post("/admin/api/v1/directories", admin, plainDirectory().encode());
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    directoryId = created.json().getString("id");
    createResourceEntitledTo("cn=Staff, ou=Groups, dc=example, dc=org");
    // the broker reloads the site model when it changes: wait until the new entitlement is in it
    String alice = client.login("alice", password("alice"));
    Poll.until("the staff entitlement reaching the broker", Duration.ofSeconds(30),
        () -> resourcesOf(alice).contains("shell"));
  }

  static JsonObject plainDirectory() {
    return new JsonObject().put("name", "corp").put("kind", "openldap").put("urls", new JsonArray().add(slapd.url()))
        .put("tls", "none").put("bindDn", SERVICE_DN).put("bindSecret", SERVICE_SECRET).put("userBase", PEOPLE)
        .put("groupBase", GROUPS);
  }

  static void createResourceEntitledTo(String directoryGroup) {
    assertThat(client.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":5}").status())
        .isEqualTo(201);
    assertThat(client.post("/admin/api/v1/resources", admin,
        "{\"name\":\"shell\",\"pool\":\"linux\",\"kind\":\"desktop\",\"port\":22}").status()).isEqualTo(201);
    Response entitled = client.post("/admin/api/v1/entitlements", admin, new JsonObject().put("resource", "shell")
        .put("directoryGroup", directoryGroup).encode());
    assertThat(entitled.status()).as(entitled.body()).isEqualTo(201);
    assertThat(entitled.json().getString("directoryGroup")).isEqualTo("cn=staff,ou=groups,dc=example,dc=org");
  }

  @AfterAll
  static void stop() {
    if (site != null) {
      site.close();
    }
    if (slapd != null) {
      slapd.close();
    }
  }

  @AfterEach
  void directoryBackToNormal() {
    slapd.start();
    Response reset = client.put("/admin/api/v1/directories/corp", admin, new JsonObject()
        .put("urls", new JsonArray().add(slapd.url())).put("tls", "none").put("caCertificate", "")
        .put("groupMembership", "member").encode());
    assertThat(reset.status()).as(reset.body()).isEqualTo(200);
  }

  static Response signIn(String username, String password) {
    return client.post("/api/v1/login", null, new JsonObject().put("username", username).put("password", password)
        .encode());
  }

  static List<String> resourcesOf(String token) {
    Response resources = client.get("/api/v1/resources", token);
    assertThat(resources.status()).as(resources.body()).isEqualTo(200);
    return resources.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("name")).toList();
  }

  @Test
  void theDirectoryIsStoredWithItsSecretSealedAndNeverShown() {
    // WHEN an admin reads the directory back
    Response read = client.get("/admin/api/v1/directories/corp", admin);

    // THEN the kind's defaults are in effect, and the bind secret is neither returned nor stored in clear
    assertThat(read.status()).isEqualTo(200);
    JsonObject directory = read.json();
    assertThat(directory.getBoolean("bindSecretSet")).isTrue();
    assertThat(directory.getJsonArray("loginAttributes")).containsExactly("uid");
    assertThat(directory.getString("groupMembership")).isEqualTo("member");
    assertThat(read.body()).doesNotContain(SERVICE_SECRET);
    assertThat(client.get("/admin/api/v1/audit", admin).body()).doesNotContain(SERVICE_SECRET);
    String stored = dev.outpost.testing.Sql.rows(site, "SELECT bind_secret_enc FROM directories WHERE name = 'corp'")
        .get(0).getString("bind_secret_enc");
    assertThat(stored).isNotBlank().doesNotContain(SERVICE_SECRET);
  }

  @Test
  void directoryUsersSignInAndAGroupEntitlementReachesDirectAndNestedMembers() {
    // WHEN alice (in staff), bob (in engineers, which is in staff) and carol (in no group) sign in
    Response alice = signIn("alice", password("alice"));
    Response bob = signIn("BOB", password("bob"));
    Response carol = signIn("carol", password("carol"));

    // THEN all three are directory sign-ins with their directory names
    for (Response r : List.of(alice, bob, carol)) {
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      assertThat(r.json().getString("signIn")).isEqualTo("directory");
    }
    assertThat(alice.json().getJsonObject("user").getString("displayName")).isEqualTo("Alice Adams");
    assertThat(bob.json().getJsonObject("user").getString("username")).isEqualTo("bob");

    // AND the resource entitled to staff is theirs when they are in it, directly or through a nested group
    assertThat(resourcesOf(alice.json().getString("token"))).containsExactly("shell");
    assertThat(resourcesOf(bob.json().getString("token"))).containsExactly("shell");
    assertThat(resourcesOf(carol.json().getString("token"))).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", ")(uid=*", "alice)(uid=*", "*)(|(uid=*", "al*", "alice\\", "nobody"})
  void injectionAttemptsAndUnknownUsersAreRefused(String username) {
    // WHEN someone signs in with a name that would match users if it reached the filter unescaped
    Response response = signIn(username, password("alice"));

    // THEN it matches no one
    assertThat(response.status()).as(response.body()).isEqualTo(401);
  }

  @Test
  void wrongEmptyAndNulPasswordsAreRefused() {
    assertThat(signIn("frank", "not-franks-password").status()).isEqualTo(401);
    assertThat(signIn("frank", "").status()).isEqualTo(400);
    assertThat(signIn("frank\u0000", password("frank")).status()).isEqualTo(400);
    assertThat(signIn("frank", password("frank") + "\u0000").status()).isEqualTo(400);
    // and the real password still works
    assertThat(signIn("frank", password("frank")).status()).isEqualTo(200);
  }

  @Test
  void failedDirectorySignInsCountTowardsTheSameLockoutAsLocalOnes() {
    // GIVEN three wrong passwords for a directory user (the per-user limit is 3)
    for (int i = 0; i < 3; i++) {
      assertThat(signIn("dave", "wrong-" + i).status()).isEqualTo(401);
    }

    // WHEN the right password comes next
    Response locked = signIn("dave", password("dave"));

    // THEN the user is locked out like a local user would be
    assertThat(locked.status()).isEqualTo(429);
  }

  @Test
  void whileTheDirectoryIsDownOnlyUsersWhoSignedInBeforeGetInOffline() {
    // GIVEN erin signed in through the directory once
    assertThat(signIn("erin", password("erin")).json().getString("signIn")).isEqualTo("directory");

    // WHEN slapd stops
    slapd.stop();

    // THEN erin signs in offline, keeping her groups; a wrong password and a user who never signed in are refused
    Response offline = signIn("erin", password("erin"));
    assertThat(offline.status()).as(offline.body()).isEqualTo(200);
    assertThat(offline.json().getString("signIn")).isEqualTo("offline");
    assertThat(offline.json().getJsonObject("user").getString("signIn")).isEqualTo("offline");
    assertThat(resourcesOf(offline.json().getString("token"))).containsExactly("shell");
    assertThat(signIn("erin", "not-erins-password").status()).isEqualTo(401);
    assertThat(signIn("carol-never", password("carol")).status()).isEqualTo(401);
    assertThat(signIn("gina", password("gina")).status()).isEqualTo(401);

    // WHEN slapd is back
    slapd.start();

    // THEN sign-in is normal again
    Response online = signIn("erin", password("erin"));
    assertThat(online.status()).isEqualTo(200);
    assertThat(online.json().getString("signIn")).isEqualTo("directory");
  }

  @Test
  void withTheFirstUrlDownSignInUsesTheNextWithinTheTimeout() throws IOException {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      // GIVEN a directory whose first URL accepts connections and never answers, and whose second is slapd
      int closed = dev.outpost.testing.FreePorts.next();
      Response updated = client.put("/admin/api/v1/directories/corp", admin, new JsonObject().put("urls",
          new JsonArray().add("ldap://127.0.0.1:" + silent.getLocalPort()).add("ldap://127.0.0.1:" + closed)
              .add(slapd.url())).encode());
      assertThat(updated.status()).as(updated.body()).isEqualTo(200);

      // WHEN a user signs in
      long started = System.nanoTime();
      Response first = signIn("carol", password("carol"));
      Duration took = Duration.ofNanos(System.nanoTime() - started);

      // THEN it works within one operation timeout (2 s) and a connect timeout (1 s), plus the hash work
      assertThat(first.status()).as(first.body()).isEqualTo(200);
      assertThat(first.json().getString("signIn")).isEqualTo("directory");
      assertThat(took).isLessThan(Duration.ofSeconds(6));

      // AND the next sign-in goes straight to the server that answered
      long again = System.nanoTime();
      assertThat(signIn("carol", password("carol")).status()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - again)).isLessThan(Duration.ofSeconds(1));
    }
  }

  @Test
  void startTlsAndLdapsWorkAgainstThePinnedCaAndFailAgainstAnother() {
    // GIVEN StartTLS with slapd's CA pinned
    Response startTls = client.put("/admin/api/v1/directories/corp", admin, new JsonObject().put("tls", "starttls")
        .put("caCertificate", slapd.caPem()).encode());
    assertThat(startTls.status()).as(startTls.body()).isEqualTo(200);
    // THEN users sign in over it
    assertThat(signIn("alice", password("alice")).json().getString("signIn")).isEqualTo("directory");

    // GIVEN LDAPS with the same CA
    Response ldaps = client.put("/admin/api/v1/directories/corp", admin, new JsonObject().put("tls", "ldaps")
        .put("urls", new JsonArray().add(slapd.ldapsUrl())).encode());
    assertThat(ldaps.status()).as(ldaps.body()).isEqualTo(200);
    assertThat(signIn("bob", password("bob")).json().getString("signIn")).isEqualTo("directory");

    // WHEN another CA is pinned (the site's own)
    String otherCa = site.node().certificates().caPem();
    assertThat(client.put("/admin/api/v1/directories/corp", admin, new JsonObject().put("caCertificate", otherCa)
        .encode()).status()).isEqualTo(200);

    // THEN the directory is not trusted: the test says why, and a user who never signed in cannot
    JsonObject test = client.post("/admin/api/v1/directories/corp/test", admin, "{\"username\":\"carol\"}").json();
    assertThat(test.getJsonObject("bind").getBoolean("ok")).isFalse();
    assertThat(signIn("gina", password("gina")).status()).isEqualTo(401);
  }

  @Test
  void groupsReadFromMemberOfAsInActiveDirectoryIncludeNestedOnes() {
    // GIVEN the directory reads groups from the users' memberOf (slapd's memberof overlay keeps it, as AD does)
    Response changed = client.put("/admin/api/v1/directories/corp", admin, "{\"groupMembership\":\"memberOf\"}");
    assertThat(changed.status()).as(changed.body()).isEqualTo(200);

    // WHEN bob, a member of engineers (itself in staff), is tested and signs in
    JsonObject test = client.post("/admin/api/v1/directories/corp/test", admin, "{\"username\":\"bob\"}").json();
    Response bob = signIn("bob", password("bob"));

    // THEN both groups are found, and the staff entitlement applies
    assertThat(test.getJsonArray("groups")).containsExactlyInAnyOrder("cn=engineers,ou=groups,dc=example,dc=org",
        "cn=staff,ou=groups,dc=example,dc=org");
    assertThat(resourcesOf(bob.json().getString("token"))).containsExactly("shell");
  }

  @Test
  void theAdminTestShowsBindUserDnAndNestedGroupsAndGroupsCanBeSearched() {
    // WHEN an admin tests the directory with bob's name and password
    Response tested = client.post("/admin/api/v1/directories/" + directoryId + "/test", admin,
        new JsonObject().put("username", "bob").put("password", password("bob")).encode());

    // THEN the bind, bob's DN and both his groups (one nested) are shown, and his password accepted
    assertThat(tested.status()).as(tested.body()).isEqualTo(200);
    JsonObject result = tested.json();
    assertThat(result.getJsonObject("bind").getBoolean("ok")).isTrue();
    assertThat(result.getJsonObject("user").getString("dn")).isEqualTo("uid=bob," + PEOPLE);
    assertThat(result.getJsonArray("groups")).containsExactlyInAnyOrder("cn=engineers,ou=groups,dc=example,dc=org",
        "cn=staff,ou=groups,dc=example,dc=org");
    assertThat(result.getString("password")).isEqualTo("accepted");
    assertThat(tested.body()).doesNotContain(password("bob"));

    // AND groups can be searched by name for an entitlement picker
    Response groups = client.get("/admin/api/v1/directories/corp/groups?q=eng", admin);
    assertThat(groups.status()).as(groups.body()).isEqualTo(200);
    assertThat(groups.json().getJsonArray("items")).containsExactly(new JsonObject()
        .put("dn", "cn=engineers,ou=groups,dc=example,dc=org").put("name", "engineers"));
    Response injected = client.get("/admin/api/v1/directories/corp/groups?q=*)(cn%3D*", admin);
    assertThat(injected.json().getJsonArray("items")).isEmpty();
  }
}
