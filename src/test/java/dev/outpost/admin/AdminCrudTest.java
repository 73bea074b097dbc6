package dev.outpost.admin;

import static dev.outpost.admin.AdminCalls.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.SharedSite;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The site model's life cycle through the admin API, on a real site with its embedded PostgreSQL. */
@SharedSite
class AdminCrudTest {

  static TestSite site;
  static AdminCalls admin;

  @BeforeAll
  static void signIn(TestSite shared) {
    site = shared;
    admin = new AdminCalls(site.client(), site.adminToken());
  }

  @Test
  void poolIsCreatedReadUpdatedAndDeleted() {
    // GIVEN a new pool
    Response created = admin.post("pools", new JsonObject().put("name", "crud-pool").put("maxSessionsPerHost", 5));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonObject pool = created.json();
    String id = pool.getString("id");
    assertThat(created.headers().firstValue("Location")).hasValue(AdminApi.MOUNT + "/pools/" + id);
    assertThat(pool.getString("description")).isEmpty();
    assertThat(pool.getString("createdAt")).isNotBlank();

    // WHEN only its description changes
    Response updated = admin.put("pools", "crud-pool", new JsonObject().put("description", "first floor"));

    // THEN the other fields keep their values, by id and by name, in any case
    assertThat(updated.status()).as(updated.body()).isEqualTo(200);
    JsonObject read = admin.read("pools", id);
    assertThat(read.getString("description")).isEqualTo("first floor");
    assertThat(read.getInteger("maxSessionsPerHost")).isEqualTo(5);
    assertThat(admin.read("pools", "CRUD-POOL").getString("id")).isEqualTo(id);
    assertThat(admin.list("pools").stream().map(p -> ((JsonObject) p).getString("name"))).contains("crud-pool");

    // WHEN it is renamed and then deleted
    admin.put("pools", id, new JsonObject().put("name", "crud-pool-2").put("maxSessionsPerHost", 7));
    assertThat(admin.read("pools", "crud-pool-2").getInteger("maxSessionsPerHost")).isEqualTo(7);
    admin.deleteOk("pools", "crud-pool-2");

    // THEN it is gone
    assertProblem(admin.get(AdminCalls.path("pools", id)), 404);
    assertProblem(admin.delete("pools", id), 404);
  }

  @Test
  void resourceShowsItsPoolByNameAndMovesBetweenPools() {
    // GIVEN two pools and a resource in the first, referenced by name
    JsonObject first = admin.create("pools", new JsonObject().put("name", "res-pool-a").put("maxSessionsPerHost", 2));
    JsonObject second = admin.create("pools", new JsonObject().put("name", "res-pool-b").put("maxSessionsPerHost", 2));
    JsonObject resource = admin.create("resources", new JsonObject().put("name", "res-ssh").put("pool", "res-pool-a")
        .put("kind", "desktop").put("port", 22).put("launchHint", "ssh"));
    assertThat(resource.getString("pool")).isEqualTo("res-pool-a");
    assertThat(resource.getString("poolId")).isEqualTo(first.getString("id"));
    assertThat(resource.getString("launchHint")).isEqualTo("ssh");

    // WHEN it moves to the second pool, referenced by id
    Response moved = admin.put("resources", "res-ssh", new JsonObject().put("pool", second.getString("id"))
        .put("displayName", "SSH"));

    // THEN it reads back in the new pool with its other fields unchanged
    assertThat(moved.status()).as(moved.body()).isEqualTo(200);
    JsonObject read = admin.read("resources", resource.getString("id"));
    assertThat(read.getString("pool")).isEqualTo("res-pool-b");
    assertThat(read.getString("displayName")).isEqualTo("SSH");
    assertThat(read.getInteger("port")).isEqualTo(22);
    assertThat(read.getString("kind")).isEqualTo("desktop");

    // WHEN it is deleted THEN it is gone and its pool can be deleted
    admin.deleteOk("resources", "res-ssh");
    assertProblem(admin.get(AdminCalls.path("resources", "res-ssh")), 404);
    admin.deleteOk("pools", "res-pool-b");
    admin.deleteOk("pools", "res-pool-a");
  }

  @Test
  void poolWithResourcesCannotBeDeleted() {
    // GIVEN a pool with two resources
    admin.create("pools", new JsonObject().put("name", "busy-pool").put("maxSessionsPerHost", 1));
    for (String name : new String[] {"busy-1", "busy-2"}) {
      admin.create("resources", new JsonObject().put("name", name).put("pool", "busy-pool").put("kind", "app")
          .put("port", 3389));
    }

    // WHEN it is deleted
    Response refused = admin.delete("pools", "busy-pool");

    // THEN the API says why, and the pool stays
    assertThat(assertProblem(refused, 409))
        .isEqualTo("pool busy-pool still has 2 resource(s); delete or move them first");
    assertThat(admin.read("pools", "busy-pool").getString("name")).isEqualTo("busy-pool");
  }

  @Test
  void userIsCreatedWithAPasswordThatIsNeverReturned() {
    // GIVEN a new user with a password
    String password = "correct-horse-battery-1";
    Response created = admin.post("users", new JsonObject().put("username", "crud.alice@example").put("password",
        password).put("displayName", "Alice"));

    // THEN it has the default role, no password in the response, and can sign in
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.body()).doesNotContain(password).doesNotContain("password");
    JsonObject user = created.json();
    assertThat(user.getJsonArray("roles")).containsExactly("user");
    assertThat(user.getBoolean("disabled")).isFalse();
    assertThat(user.getJsonArray("groups")).isEmpty();
    assertThat(created.headers().firstValue("Location")).hasValue(AdminApi.MOUNT + "/users/" + user.getString("id"));
    assertThat(site.client().login("crud.alice@example", password)).isNotBlank();

    // WHEN the password and display name change
    String newPassword = "another-long-password-2";
    Response updated = admin.put("users", "CRUD.ALICE@EXAMPLE", new JsonObject().put("password", newPassword)
        .put("displayName", "Alice A."));

    // THEN the new password signs in, the old one does not, and the other fields stay
    assertThat(updated.status()).as(updated.body()).isEqualTo(200);
    assertThat(updated.body()).doesNotContain(newPassword);
    assertThat(site.client().login("crud.alice@example", newPassword)).isNotBlank();
    assertThat(site.client().post("/api/v1/login", null, new JsonObject().put("username", "crud.alice@example")
        .put("password", password).encode()).status()).isEqualTo(401);
    JsonObject read = admin.read("users", user.getString("id"));
    assertThat(read.getString("displayName")).isEqualTo("Alice A.");
    assertThat(read.getJsonArray("roles")).containsExactly("user");

    // WHEN it is deleted THEN it is gone
    admin.deleteOk("users", "crud.alice@example");
    assertProblem(admin.get(AdminCalls.path("users", user.getString("id"))), 404);
  }

  @Test
  void disablingDemotingOrResettingAUserEndsTheirOpenSessions() {
    // GIVEN three signed-in users, one of them an admin, and one untouched user
    for (String name : new String[] {"revoke.disabled", "revoke.demoted", "revoke.reset", "revoke.untouched"}) {
      JsonArray roles = new JsonArray().add("user");
      if (name.equals("revoke.demoted")) {
        roles.add("admin");
      }
      assertThat(admin.post("users", new JsonObject().put("username", name).put("password", name + "-password")
          .put("roles", roles)).status()).isEqualTo(201);
    }
    String disabled = site.client().login("revoke.disabled", "revoke.disabled-password");
    String demoted = site.client().login("revoke.demoted", "revoke.demoted-password");
    String reset = site.client().login("revoke.reset", "revoke.reset-password");
    String untouched = site.client().login("revoke.untouched", "revoke.untouched-password");
    assertThat(site.client().get(AdminApi.MOUNT + "/pools", demoted).status()).isEqualTo(200);

    // WHEN an admin disables one, removes the admin role of another and resets the third's password
    assertThat(admin.put("users", "revoke.disabled", new JsonObject().put("disabled", true)).status()).isEqualTo(200);
    assertThat(admin.put("users", "revoke.demoted", new JsonObject().put("roles", new JsonArray().add("user")))
        .status()).isEqualTo(200);
    assertThat(admin.put("users", "revoke.reset", new JsonObject().put("password", "a-brand-new-password"))
        .status()).isEqualTo(200);

    // THEN their tokens stop working at once, and the untouched user's does not
    assertThat(site.client().get("/api/v1/me", disabled).status()).isEqualTo(401);
    assertThat(site.client().get(AdminApi.MOUNT + "/pools", demoted).status()).isEqualTo(401);
    assertThat(site.client().get("/api/v1/me", reset).status()).isEqualTo(401);
    assertThat(site.client().get("/api/v1/me", untouched).status()).isEqualTo(200);
    assertThat(site.client().login("revoke.reset", "a-brand-new-password")).isNotBlank();
  }

  @Test
  void groupMembersAreReplacedAndShownOnTheirUsers() {
    // GIVEN two users and a group with one of them
    admin.create("users", new JsonObject().put("username", "grp-bob"));
    admin.create("users", new JsonObject().put("username", "grp-carol"));
    JsonObject group = admin.create("groups", new JsonObject().put("name", "Help Desk").put("members",
        new JsonArray().add("GRP-BOB")));
    assertThat(group.getJsonArray("members")).containsExactly("grp-bob");
    assertThat(admin.read("users", "grp-bob").getJsonArray("groups")).containsExactly("Help Desk");

    // WHEN the member list is replaced
    Response updated = admin.put("groups", "help desk", new JsonObject().put("members",
        new JsonArray().add("grp-carol").add("grp-bob")));

    // THEN both are members, sorted, and the description is unchanged
    assertThat(updated.status()).as(updated.body()).isEqualTo(200);
    JsonObject read = admin.read("groups", group.getString("id"));
    assertThat(read.getJsonArray("members")).containsExactly("grp-bob", "grp-carol");
    assertThat(read.getString("description")).isEmpty();

    // WHEN the group is deleted THEN it is gone and no user lists it
    admin.deleteOk("groups", "Help Desk");
    assertProblem(admin.get(AdminCalls.path("groups", "Help Desk")), 404);
    assertThat(admin.read("users", "grp-carol").getJsonArray("groups")).isEmpty();
  }

  @Test
  void entitlementsAreCreatedFilteredAndDeleted() {
    // GIVEN a resource, a user and a group
    admin.create("pools", new JsonObject().put("name", "ent-pool").put("maxSessionsPerHost", 3));
    JsonObject resource = admin.create("resources", new JsonObject().put("name", "ent-app").put("pool", "ent-pool")
        .put("kind", "app").put("port", 8080));
    admin.create("users", new JsonObject().put("username", "ent-dave"));
    admin.create("groups", new JsonObject().put("name", "ent-team"));

    // WHEN the resource is entitled to the user (by resource id) and to the group (by resource name)
    Response forUser = admin.post("entitlements", new JsonObject().put("resource", resource.getString("id"))
        .put("user", "ent-dave"));
    JsonObject forGroup = admin.create("entitlements", new JsonObject().put("resource", "ent-app")
        .put("group", "ent-team"));

    // THEN both exist and each filter finds its own
    assertThat(forUser.status()).as(forUser.body()).isEqualTo(201);
    String userEntitlement = forUser.json().getString("id");
    assertThat(forUser.headers().firstValue("Location")).hasValue(AdminApi.MOUNT + "/entitlements/" + userEntitlement);
    JsonObject read = admin.read("entitlements", userEntitlement);
    assertThat(read.getString("resource")).isEqualTo("ent-app");
    assertThat(read.getString("user")).isEqualTo("ent-dave");
    assertThat(read.getString("group")).isNull();
    assertThat(admin.list("entitlements?resource=ent-app")).hasSize(2);
    assertThat(admin.list("entitlements?user=ent-dave")).extracting(e -> ((JsonObject) e).getString("id"))
        .containsExactly(userEntitlement);
    assertThat(admin.list("entitlements?group=ent-team")).extracting(e -> ((JsonObject) e).getString("id"))
        .containsExactly(forGroup.getString("id"));
    assertThat(admin.list("entitlements?resource=ent-app&user=nobody")).isEmpty();

    // WHEN the same entitlement is created again THEN it is a conflict
    assertThat(assertProblem(admin.post("entitlements", new JsonObject().put("resource", "ENT-APP")
        .put("user", "ent-dave")), 409)).contains("ent-dave").containsIgnoringCase("ent-app");

    // WHEN one is deleted THEN it is gone and the other stays
    admin.deleteOk("entitlements", userEntitlement);
    assertProblem(admin.get(AdminCalls.path("entitlements", userEntitlement)), 404);
    assertProblem(admin.get(AdminCalls.path("entitlements", "not-a-uuid")), 404);
    assertThat(admin.list("entitlements?resource=" + resource.getString("id"))).hasSize(1);
  }

  @Test
  void namesAreUniqueIgnoringCase() {
    // GIVEN a pool and a user
    admin.create("pools", new JsonObject().put("name", "unique-pool").put("maxSessionsPerHost", 1));
    admin.create("pools", new JsonObject().put("name", "other-pool").put("maxSessionsPerHost", 1));
    admin.create("users", new JsonObject().put("username", "unique-user"));

    // WHEN the same names are used again in another case, or by a rename
    // THEN each is a conflict naming the name
    assertThat(assertProblem(admin.post("pools", new JsonObject().put("name", "UNIQUE-pool")
        .put("maxSessionsPerHost", 1)), 409)).contains("UNIQUE-pool");
    assertThat(assertProblem(admin.put("pools", "other-pool", new JsonObject().put("name", "Unique-Pool")), 409))
        .contains("Unique-Pool");
    assertThat(assertProblem(admin.post("users", new JsonObject().put("username", "Unique-User")), 409))
        .contains("Unique-User");
    assertThat(admin.read("pools", "other-pool").getString("name")).isEqualTo("other-pool");
  }

  @Test
  void theLastEnabledAdminStaysAndNoAdminDeletesThemself() {
    // GIVEN the bootstrap admin is the only enabled admin
    String adminId = admin.read("users", "admin").getString("id");

    // WHEN it would be disabled, demoted or deleted THEN each is refused
    assertThat(assertProblem(admin.put("users", "admin", new JsonObject().put("disabled", true)), 409))
        .contains("last enabled admin");
    assertThat(assertProblem(admin.put("users", "admin", new JsonObject().put("roles",
        new JsonArray().add("user"))), 409)).contains("last enabled admin");
    assertThat(assertProblem(admin.delete("users", adminId), 409)).contains("own account");

    // GIVEN a second admin
    admin.create("users", new JsonObject().put("username", "admin-two").put("roles", new JsonArray().add("admin")));

    // WHEN the bootstrap admin deletes itself THEN it is still refused
    assertThat(assertProblem(admin.delete("users", "admin"), 409)).contains("own account");

    // WHEN the second admin is demoted and then deleted THEN both work, since the bootstrap admin remains
    Response demoted = admin.put("users", "admin-two", new JsonObject().put("roles", new JsonArray().add("user")));
    assertThat(demoted.status()).as(demoted.body()).isEqualTo(200);
    admin.put("users", "admin-two", new JsonObject().put("roles", new JsonArray().add("admin")));
    admin.deleteOk("users", "admin-two");
    assertThat(admin.read("users", adminId).getJsonArray("roles")).containsExactly("admin");
    assertThat(admin.read("users", adminId).getBoolean("disabled")).isFalse();
  }

  @Test
  void unknownIdsAndNamesAreNotFound() {
    // GIVEN no such entries WHEN they are read, changed or deleted THEN each is a 404 problem
    String randomId = UUID.randomUUID().toString();
    for (String collection : new String[] {"users", "groups", "pools", "resources"}) {
      assertProblem(admin.get(AdminCalls.path(collection, "no-such-name")), 404);
      assertProblem(admin.get(AdminCalls.path(collection, randomId)), 404);
      assertProblem(admin.get(AdminCalls.path(collection, "0000-not-a-uuid")), 404);
      assertProblem(admin.put(collection, "no-such-name", new JsonObject()), 404);
      assertProblem(admin.delete(collection, randomId), 404);
    }
    assertProblem(admin.get(AdminCalls.path("entitlements", randomId)), 404);
    assertProblem(admin.delete("entitlements", randomId), 404);
  }
}
