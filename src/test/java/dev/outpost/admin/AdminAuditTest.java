package dev.outpost.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.SharedSite;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every admin change leaves one audit row with who, what and which request; secrets never do. */
@SharedSite
class AdminAuditTest {

  static TestSite site;
  static AdminCalls admin;

  @BeforeAll
  static void signIn(TestSite shared) {
    site = shared;
    admin = new AdminCalls(site.client(), site.adminToken());
  }

  @Test
  void createUpdateAndDeleteEachWriteOneRow() {
    // GIVEN the newest audit row so far
    long newest = newestId();

    // WHEN a pool is created, changed and deleted
    JsonObject pool = admin.create("pools", new JsonObject().put("name", "audit-pool").put("maxSessionsPerHost", 3));
    Response updated = admin.send("PUT", AdminCalls.path("pools", "audit-pool"),
        new JsonObject().put("description", "for the audit").encode(), "application/json");
    admin.deleteOk("pools", "audit-pool");

    // THEN there are exactly three new rows, newest first, by the admin, on this pool
    List<JsonObject> rows = rowsAfter(newest, "");
    assertThat(rows).extracting(row -> row.getString("action"))
        .containsExactly("pool.delete", "pool.update", "pool.create");
    assertThat(rows).allSatisfy(row -> {
      assertThat(row.getString("actor")).isEqualTo("admin");
      assertThat(row.getString("targetType")).isEqualTo("pool");
      assertThat(row.getString("targetId")).isEqualTo(pool.getString("id"));
      assertThat(row.getString("targetName")).isEqualTo("audit-pool");
      assertThat(row.getString("node")).isNotBlank();
      assertThat(row.getString("at")).isNotBlank();
    });
    assertThat(rows.get(2).getJsonObject("detail")).isEqualTo(new JsonObject().put("name", "audit-pool")
        .put("description", "").put("maxSessionsPerHost", 3).put("location", "default").put("recordSessions", false));
    assertThat(rows.get(1).getJsonObject("detail")).isEqualTo(new JsonObject().put("description", "for the audit"));
    assertThat(rows.get(1).getString("requestId"))
        .isEqualTo(updated.headers().firstValue("X-Request-Id").orElseThrow());
    assertThat(rows.get(0).getJsonObject("detail").getString("name")).isEqualTo("audit-pool");
  }

  @Test
  void passwordsNeverReachTheAuditLog() {
    // GIVEN the newest audit row so far
    long newest = newestId();
    String first = "first-secret-password-9";
    String second = "second-secret-password-8";

    // WHEN a user is created with a password, given a new one, and deleted
    admin.create("users", new JsonObject().put("username", "audit-erin").put("password", first));
    admin.put("users", "audit-erin", new JsonObject().put("password", second));
    admin.deleteOk("users", "audit-erin");

    // THEN the rows record that the password changed, never the password or its hash
    List<JsonObject> rows = rowsAfter(newest, "&targetType=user");
    assertThat(rows).extracting(row -> row.getString("action"))
        .containsExactly("user.delete", "user.update", "user.create");
    assertThat(rows.get(2).getJsonObject("detail").getString("password")).isEqualTo("(changed)");
    assertThat(rows.get(1).getJsonObject("detail")).isEqualTo(new JsonObject().put("password", "(changed)"));
    // AND the new password and the deletion each revoked the user's connection leases, with a row of its own
    assertThat(rowsAfter(newest, "&targetType=lease-revocation")).extracting(row -> row.getJsonObject("detail")
        .getString("reason")).containsExactly("account deleted", "password changed");
    String everything = admin.get(AdminApi.MOUNT + "/audit?limit=500").body();
    assertThat(everything).doesNotContain(first, second, "argon2", "passwordHash");
  }

  @Test
  void failedChangesWriteNoRow() {
    // GIVEN the newest audit row so far and an existing pool
    admin.create("pools", new JsonObject().put("name", "audit-kept").put("maxSessionsPerHost", 1));
    admin.create("resources", new JsonObject().put("name", "audit-kept-res").put("pool", "audit-kept")
        .put("kind", "app").put("port", 80));
    long newest = newestId();

    // WHEN changes fail in validation, on a conflict, and on a rule checked inside the transaction
    assertThat(admin.post("pools", new JsonObject().put("name", "audit-kept").put("maxSessionsPerHost", 1)).status())
        .isEqualTo(409);
    assertThat(admin.put("pools", "audit-kept", new JsonObject().put("maxSessionsPerHost", 0)).status())
        .isEqualTo(400);
    assertThat(admin.delete("pools", "audit-kept").status()).isEqualTo(409);

    // THEN no row was written
    assertThat(rowsAfter(newest, "")).isEmpty();
  }

  @Test
  void logIsFilteredAndPagedNewestFirst() {
    // GIVEN five group changes after a known row
    long newest = newestId();
    for (int i = 0; i < 5; i++) {
      admin.create("groups", new JsonObject().put("name", "audit-group-" + i));
    }

    // WHEN the log is read two rows at a time for groups by admin
    JsonObject firstPage = admin.get(AdminApi.MOUNT + "/audit?limit=2&targetType=group&actor=ADMIN").json();
    long next = firstPage.getLong("nextBefore");
    JsonArray secondPage = admin.list("audit?limit=2&targetType=group&before=" + next);

    // THEN the pages follow each other, newest first, with nothing but group rows
    assertThat(firstPage.getJsonArray("items")).extracting(row -> ((JsonObject) row).getString("targetName"))
        .containsExactly("audit-group-4", "audit-group-3");
    assertThat(secondPage).extracting(row -> ((JsonObject) row).getString("targetName"))
        .containsExactly("audit-group-2", "audit-group-1");
    assertThat(rowsAfter(newest, "&targetType=pool")).isEmpty();
    assertThat(admin.list("audit?actor=nobody")).isEmpty();
  }

  private static long newestId() {
    JsonArray items = admin.list("audit?limit=1");
    return items.isEmpty() ? 0 : items.getJsonObject(0).getLong("id");
  }

  private static List<JsonObject> rowsAfter(long id, String filter) {
    return admin.list("audit?limit=500" + filter).stream().map(JsonObject.class::cast)
        .filter(row -> row.getLong("id") > id).toList();
  }
}
