package dev.outpost.lease;

import static dev.outpost.lease.LeaseSites.awaitLease;
import static dev.outpost.lease.LeaseSites.leaseLaunch;
import static dev.outpost.lease.LeaseSites.login;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.lease.LeaseSites.Device;
import dev.outpost.lease.impl.LeaseSigner;
import dev.outpost.lease.impl.SigningKey;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connection leases on a real site: issued after sign-in with a device key, shown by {@code GET /api/v1/lease}, and
 * launched with {@code POST /api/v1/lease-launch} like a normal launch; every way a lease launch can be wrong is
 * refused with 403 and its reason.
 */
class LeaseLaunchTest {

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static String admin;

  @BeforeAll
  static void start() throws Exception {
    site = TestSite.start(tmp.resolve("node"), Map.of("hub.sync-interval", "1s"));
    client = site.client();
    admin = site.adminToken();
    LeaseSites.publish(site, admin);
    LeaseSites.user(site, admin, "alice", "alice-password-1", "shell");
    LeaseSites.user(site, admin, "bob", "bob-password-1", "shell");
    LeaseSites.user(site, admin, "carol", "carol-password-1", "shell");
  }

  @AfterAll
  static void stop() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void aLeaseIssuedAtSignInLaunchesLikeANormalLaunch() throws Exception {
    // GIVEN alice signs in with her device key
    Device device = Device.create();
    String token = login(client, "alice", "alice-password-1", device);

    // WHEN she asks for her lease THEN it is issued for her device and her one resource, for 7 days
    JsonObject lease = awaitLease(client, token);
    assertThat(lease.getJsonArray("resources").getJsonObject(0).getString("name")).isEqualTo("shell");
    assertThat(lease.getJsonArray("resources")).hasSize(1);
    assertThat(lease.getJsonObject("user").getString("username")).isEqualTo("alice");
    assertThat(lease.getJsonArray("appliances").getJsonObject(0).getString("url"))
        .isEqualTo("https://localhost:" + site.httpsPort());
    assertThat(lease.getJsonArray("appliances").getJsonObject(0).getString("ca"))
        .isEqualTo(site.node().caFingerprint());
    Lease read = Lease.read(lease.getString("lease"));
    assertThat(read.device()).isEqualTo(device.thumbprint());
    assertThat(Duration.between(read.issuedAt(), read.expiresAt())).isEqualTo(Duration.ofDays(7));

    // WHEN a client launches with it, without any session
    Response launched = leaseLaunch(client, lease.getString("lease"), "shell",
        device.proof(read.id(), "shell", Instant.now()));

    // THEN the answer is a launch like any other: ticket, gateways, session, launch file, ssh command
    assertThat(launched.status()).as(launched.body()).isEqualTo(200);
    JsonObject body = launched.json();
    assertThat(body.getString("ticket")).isNotBlank();
    assertThat(body.getJsonArray("gateways").stream().map(g -> ((JsonObject) g).getString("type")))
        .contains("tls", "wss");
    assertThat(body.getJsonObject("session").getString("resource")).isEqualTo("shell");
    assertThat(body.getJsonObject("launchFile").getString("ticket")).isEqualTo(body.getString("ticket"));
    assertThat(body.getString("sshCommand")).endsWith("alice@shell");
    assertThat(body.getJsonObject("lease").getString("id")).isEqualTo(read.id());

    // AND signing in again on the same device keeps the same lease (renewed at most once a day)
    String again = login(client, "alice", "alice-password-1", device);
    assertThat(client.get("/api/v1/lease", again).json().getString("id")).isEqualTo(read.id());

    // AND a web store session (no device key) sees that lease's resources and expiry, but not its token
    JsonObject web = client.get("/api/v1/lease", client.login("alice", "alice-password-1")).json();
    assertThat(web.getString("id")).isEqualTo(read.id());
    assertThat(web.getBoolean("thisDevice")).isFalse();
    assertThat(web.getValue("lease")).isNull();
    assertThat(web.getJsonArray("resources").getJsonObject(0).getString("name")).isEqualTo("shell");
    assertThat(web.getString("expiresAt")).isEqualTo(read.expiresAt().toString());
  }

  @Test
  void aUserWithoutAnyLeaseGetsA404() {
    // GIVEN a user who never signed in with the Outpost client WHEN the web store asks for the lease THEN 404
    LeaseSites.user(site, admin, "erin", "erin-password-1", "shell");
    Response none = client.get("/api/v1/lease", client.login("erin", "erin-password-1"));
    assertThat(none.status()).as(none.body()).isEqualTo(404);
    assertThat(none.json().getString("detail")).contains("Outpost client");
  }

  @Test
  void everyWrongLeaseLaunchIsRefusedWithItsReason() throws Exception {
    // GIVEN bob's lease on his device
    Device device = Device.create();
    JsonObject answer = awaitLease(client, login(client, "bob", "bob-password-1", device));
    String lease = answer.getString("lease");
    String leaseId = answer.getString("id");
    Instant now = Instant.now();

    // THEN a proof made with another device key is refused
    assertRefused(leaseLaunch(client, lease, "shell", Device.create().proof(leaseId, "shell", now)),
        "another device key");
    // AND a resource the lease does not name (its own proof), and a proof made for another resource
    assertRefused(leaseLaunch(client, lease, "web", device.proof(leaseId, "web", now)), "does not include 'web'");
    assertRefused(leaseLaunch(client, lease, "web", device.proof(leaseId, "shell", now)), "another lease or resource");
    // AND a proof that is not fresh
    assertRefused(leaseLaunch(client, lease, "shell", device.proof(leaseId, "shell", now.minusSeconds(300))),
        "not fresh");
    // AND a lease signed by another site's key
    SigningKey otherSite = SigningKey.generate();
    Lease mine = Lease.read(lease);
    String foreign = new LeaseSigner(otherSite).sign(copy(mine, otherSite.keyId(), mine.issuedAt(),
        mine.expiresAt()));
    assertRefused(leaseLaunch(client, foreign, "shell", device.proof(mine.id(), "shell", now)), "does not know");
    // AND an expired lease, even when signed with this site's own key
    SigningKey siteKey = LeaseSites.siteKey(site);
    String expired = new LeaseSigner(siteKey).sign(copy(mine, siteKey.keyId(), now.minus(Duration.ofDays(8)),
        now.minus(Duration.ofDays(1))));
    assertRefused(leaseLaunch(client, expired, "shell", device.proof(mine.id(), "shell", now)), "expired");
    // AND a replayed proof: the first use launches, the second is refused
    String proof = device.proof(leaseId, "shell", now);
    assertThat(leaseLaunch(client, lease, "shell", proof).status()).isEqualTo(200);
    assertRefused(leaseLaunch(client, lease, "shell", proof), "replay");
    // AND a malformed request is a 400, a garbled lease a 403
    assertThat(client.post("/api/v1/lease-launch", null, new JsonObject().put("lease", lease).encode()).status())
        .isEqualTo(400);
    assertRefused(leaseLaunch(client, "not-a-lease", "shell", device.proof(leaseId, "shell", now)), "malformed");
  }

  @Test
  void revocationsByUserAndSignOutStopLeases() throws Exception {
    // GIVEN carol's lease on her device
    Device device = Device.create();
    String token = login(client, "carol", "carol-password-1", device);
    JsonObject answer = awaitLease(client, token);
    String lease = answer.getString("lease");
    String leaseId = answer.getString("id");
    assertThat(leaseLaunch(client, lease, "shell", device.proof(leaseId, "shell", Instant.now())).status())
        .isEqualTo(200);

    // WHEN an admin revokes carol's leases
    Response revoked = client.post("/admin/api/v1/leases/revocations", admin,
        "{\"user\":\"carol\",\"reason\":\"laptop stolen\"}");

    // THEN the revocation is listed and audited, and her lease is refused with the reason
    assertThat(revoked.status()).as(revoked.body()).isEqualTo(201);
    assertThat(revoked.json().getString("kind")).isEqualTo("user");
    JsonObject listed = client.get("/admin/api/v1/leases/revocations", admin).json();
    assertThat(listed.getJsonArray("items").stream().map(r -> ((JsonObject) r).getString("id")))
        .contains(revoked.json().getString("id"));
    assertThat(Sql.count(site, "SELECT count(*) FROM audit_log WHERE action = 'lease-revocation.create' "
        + "AND target_id = $1", revoked.json().getString("id"))).isEqualTo(1);
    assertRefused(leaseLaunch(client, lease, "shell", device.proof(leaseId, "shell", Instant.now())),
        "laptop stolen");

    // WHEN she signs in again THEN a new lease is issued, and it launches
    String again = login(client, "carol", "carol-password-1", device);
    JsonObject renewed = awaitLeaseOtherThan(again, leaseId);
    assertThat(leaseLaunch(client, renewed.getString("lease"), "shell", device.proof(renewed.getString("id"),
        "shell", Instant.now())).status()).isEqualTo(200);

    // WHEN she signs out THEN that lease stops launching too
    assertThat(client.post("/api/v1/logout", again, null).status()).isEqualTo(204);
    assertRefused(leaseLaunch(client, renewed.getString("lease"), "shell", device.proof(renewed.getString("id"),
        "shell", Instant.now())), "this device");

    // AND a lease revocation by id is validated
    assertThat(client.post("/admin/api/v1/leases/revocations", admin, "{\"lease\":\"nope\"}").status())
        .isEqualTo(400);
    assertThat(client.post("/admin/api/v1/leases/revocations", admin, "{\"user\":\"a\",\"device\":\"b\"}").status())
        .isEqualTo(400);
    assertThat(client.post("/admin/api/v1/leases/revocations", admin, "{\"user\":\"nobody-here\"}").status())
        .isEqualTo(404);
  }

  @Test
  void disablingGivingANewPasswordOrDemotingEndsTheUsersLeasesAndSessionsAtOnce() throws Exception {
    // GIVEN four users with a lease on their device that launches: frank, grace, heidi (also a session admin) and ivan
    List<String> names = List.of("frank", "grace", "heidi", "ivan");
    Map<String, Device> devices = new HashMap<>();
    Map<String, String> tokens = new HashMap<>();
    Map<String, JsonObject> leases = new HashMap<>();
    for (String name : names) {
      LeaseSites.user(site, admin, name, name + "-password-1", "shell");
      devices.put(name, Device.create());
    }
    assertThat(client.put("/admin/api/v1/users/heidi", admin, "{\"roles\":[\"user\",\"session-admin\"]}").status())
        .isEqualTo(200);
    for (String name : names) {
      tokens.put(name, login(client, name, name + "-password-1", devices.get(name)));
      leases.put(name, awaitLease(client, tokens.get(name)));
      assertThat(launch(name, devices, leases).status()).as(name).isEqualTo(200);
    }

    // WHEN an admin disables frank, gives grace a new password, removes heidi's session-admin role, and changes
    // nothing but ivan's display name
    assertThat(client.put("/admin/api/v1/users/frank", admin, "{\"disabled\":true}").status()).isEqualTo(200);
    assertThat(client.put("/admin/api/v1/users/grace", admin, "{\"password\":\"grace-password-2\"}").status())
        .isEqualTo(200);
    assertThat(client.put("/admin/api/v1/users/heidi", admin, "{\"roles\":[\"user\"]}").status()).isEqualTo(200);
    assertThat(client.put("/admin/api/v1/users/ivan", admin, "{\"displayName\":\"Ivan\",\"disabled\":false,"
        + "\"roles\":[\"user\"]}").status()).isEqualTo(200);

    // THEN at once, the leases of the three are refused with a reason their users understand
    assertRefused(launch("frank", devices, leases), "your account is disabled");
    assertRefused(launch("grace", devices, leases), "(password changed); sign in again");
    assertRefused(launch("heidi", devices, leases), "(role removed: session-admin); sign in again");
    assertThat(launch("frank", devices, leases).json().getString("detail")).doesNotContain("expired");
    // AND ivan's lease still launches
    Response control = launch("ivan", devices, leases);
    assertThat(control.status()).as(control.body()).isEqualTo(200);

    // AND the three are signed out everywhere, ivan is not
    for (String name : List.of("frank", "grace", "heidi")) {
      assertThat(client.get("/api/v1/lease", tokens.get(name)).status()).as(name).isEqualTo(401);
    }
    assertThat(client.get("/api/v1/lease", tokens.get("ivan")).status()).isEqualTo(200);

    // AND each change revoked with one audit entry that names the admin and the reason; ivan's change revoked nothing
    Map<String, String> reasons = Map.of("frank", "account disabled", "grace", "password changed",
        "heidi", "role removed: session-admin");
    for (var reason : reasons.entrySet()) {
      assertThat(Sql.count(site, "SELECT count(*) FROM audit_log WHERE action = 'lease-revocation.create' "
          + "AND target_name = $1 AND actor = 'admin' AND detail->>'reason' = $2 AND detail->>'createdBy' = 'admin'",
          reason.getKey(), reason.getValue())).as(reason.getKey()).isEqualTo(1);
    }
    assertThat(Sql.count(site, "SELECT count(*) FROM audit_log WHERE action = 'lease-revocation.create' "
        + "AND target_name = 'ivan'")).isZero();
    // AND the admin API lists the revocations as user revocations with those reasons
    JsonObject listed = client.get("/admin/api/v1/leases/revocations", admin).json();
    assertThat(listed.getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(r -> "user".equals(r.getString("kind"))).map(r -> r.getString("reason")))
        .contains("account disabled", "password changed", "role removed: session-admin");

    // WHEN grace signs in with her new password THEN she gets a new lease, and it launches
    String again = login(client, "grace", "grace-password-2", devices.get("grace"));
    JsonObject renewed = awaitLeaseOtherThan(again, leases.get("grace").getString("id"));
    assertThat(leaseLaunch(client, renewed.getString("lease"), "shell", devices.get("grace").proof(
        renewed.getString("id"), "shell", Instant.now())).status()).isEqualTo(200);
  }

  private static Response launch(String name, Map<String, Device> devices, Map<String, JsonObject> leases) {
    JsonObject lease = leases.get(name);
    return leaseLaunch(client, lease.getString("lease"), "shell", devices.get(name).proof(lease.getString("id"),
        "shell", Instant.now()));
  }

  @Test
  void aRotatedKeyKeepsVerifyingTheLeasesItSigned() throws Exception {
    // GIVEN a lease signed with the current key
    Device device = Device.create();
    LeaseSites.user(site, admin, "dave", "dave-password-1", "shell");
    JsonObject before = awaitLease(client, login(client, "dave", "dave-password-1", device));

    // WHEN an admin rotates the lease key
    Response rotated = client.post("/admin/api/v1/leases/keys", admin, null);
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(201);
    String newKid = rotated.json().getString("kid");

    // THEN both keys are listed, the old one retired with a time it stops verifying
    var keys = client.get("/admin/api/v1/leases/keys", admin).json().getJsonArray("items");
    assertThat(keys.stream().map(k -> ((JsonObject) k).getString("state"))).contains("active", "retired");
    // AND the old lease still launches, and a new device's lease is signed with the new key
    assertThat(leaseLaunch(client, before.getString("lease"), "shell", device.proof(before.getString("id"), "shell",
        Instant.now())).status()).isEqualTo(200);
    Device second = Device.create();
    JsonObject after = awaitLease(client, login(client, "dave", "dave-password-1", second));
    assertThat(after.getString("keyId")).isEqualTo(newKid);
    Poll.until("appliances trust the new key", Duration.ofSeconds(15), () -> leaseLaunch(client,
        after.getString("lease"), "shell", second.proof(after.getString("id"), "shell", Instant.now())).status()
        == 200);
  }

  private JsonObject awaitLeaseOtherThan(String token, String oldId) throws InterruptedException {
    JsonObject[] found = new JsonObject[1];
    Poll.until("a new lease", Duration.ofSeconds(30), () -> {
      Response response = client.get("/api/v1/lease", token);
      found[0] = response.status() == 200 && !oldId.equals(response.json().getString("id")) ? response.json() : null;
      return found[0] != null;
    });
    return found[0];
  }

  private static Lease copy(Lease lease, String keyId, Instant issuedAt, Instant expiresAt) {
    return new Lease(lease.id(), lease.site(), lease.location(), lease.user(), lease.groups(), lease.device(),
        lease.resources(), lease.appliances(), lease.hub(), issuedAt, expiresAt, keyId);
  }

  private static void assertRefused(Response response, String reason) {
    assertThat(response.status()).as(response.body()).isEqualTo(403);
    assertThat(response.contentType()).startsWith("application/problem+json");
    assertThat(response.json().getString("detail")).contains(reason);
  }
}
