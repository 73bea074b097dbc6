package dev.outpost.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The session history ({@code GET /admin/api/v1/sessions?state=ended}) on a real site: sessions launched and
 * ended (logged off by an admin, by their user, or ended because their host was lost) are read back from the
 * database after the site restarted on the same data dir, with every filter, a page at a time; and each user's
 * own history in the store ({@code GET /api/v1/sessions/history}).
 */
class SessionHistoryTest {

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static String admin;
  static final Map<String, String> ids = new HashMap<>();
  /** Between the first two sessions' end and the third's launch. */
  static Instant between;

  @BeforeAll
  static void sessionsEndedBeforeARestart() throws Exception {
    // GIVEN a site with two pools, a host and a resource in each, and two users entitled to both resources
    site = TestSite.start(tmp.resolve("node"));
    client = site.client();
    admin = site.adminToken();
    for (String[] pool : new String[][] {{"linux", "alpha", "shell"}, {"windows", "beta", "desk"}}) {
      String poolId = created(client.post("/admin/api/v1/pools", admin,
          new JsonObject().put("name", pool[0]).put("maxSessionsPerHost", 5).encode())).getString("id");
      ids.put(pool[0], poolId);
      created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", pool[2]).put("pool", pool[0])
          .put("kind", "desktop").put("port", 22).encode()));
      ids.put(pool[1], enrollAndRegister(pool[1], poolId));
    }
    for (String user : new String[] {"ann", "ben"}) {
      ids.put(user, created(client.post("/admin/api/v1/users", admin, new JsonObject().put("username", user)
          .put("password", user + "-password-1").encode())).getString("id"));
      for (String resource : new String[] {"shell", "desk"}) {
        created(client.post("/admin/api/v1/entitlements", admin, new JsonObject().put("resource", resource)
            .put("user", user).encode()));
      }
    }
    created(client.post("/admin/api/v1/users", admin,
        "{\"username\":\"helpdesk\",\"password\":\"helpdesk-password\",\"roles\":[\"session-admin\"]}"));

    // WHEN ann's shell session is logged off by an admin and ben logs his desk session off himself
    String ann = client.login("ann", "ann-password-1");
    String ben = client.login("ben", "ben-password-1");
    // (the broker reloads the site model behind the admin API: both users' entitlements must be in it)
    for (String token : new String[] {ann, ben}) {
      Poll.until("both resources available to both users", Duration.ofSeconds(30), () -> client.get(
          "/api/v1/resources", token).json().getJsonArray("items").stream()
          .filter(r -> ((JsonObject) r).getBoolean("available")).count() == 2);
    }
    ids.put("ann-shell", launch(ann, "shell"));
    ids.put("ben-desk", launch(ben, "desk"));
    assertThat(client.post("/admin/api/v1/sessions/" + ids.get("ann-shell") + "/logoff", admin, null).status())
        .isEqualTo(200);
    assertThat(client.post("/api/v1/sessions/" + ids.get("ben-desk") + "/logoff", ben, null).status()).isEqualTo(200);
    between = Instant.now();

    // AND later ann's desk session ends because its host is lost, while ben's shell session stays open
    ids.put("ann-desk", launch(ann, "desk"));
    ids.put("ben-shell", launch(ben, "shell"));
    await(site.node().hostEvents().lost(ids.get("beta"), "agent link closed"));
    Poll.until("three sessions in the history", Duration.ofSeconds(30),
        () -> ended("").getJsonArray("items").size() == 3);

    // AND the site restarts on the same data dir
    site.close();
    site = TestSite.start(tmp.resolve("node"));
    client = site.client();
    admin = site.adminToken();
  }

  @AfterAll
  static void stop() {
    if (site != null) {
      site.close();
    }
  }

  @Test
  void theHistoryOutlivesARestartNewestEndedFirstWithWhatEachSessionWas() {
    // WHEN an admin reads the history after the restart
    JsonArray items = ended("").getJsonArray("items");

    // THEN it has the three ended sessions, newest ended first, and not the open one
    assertThat(sessionIds(items)).containsExactly(ids.get("ann-desk"), ids.get("ben-desk"), ids.get("ann-shell"));
    JsonObject lost = items.getJsonObject(0);
    assertThat(lost.getString("username")).isEqualTo("ann");
    assertThat(lost.getString("userId")).isEqualTo(ids.get("ann"));
    assertThat(lost.getString("resource")).isEqualTo("desk");
    assertThat(lost.getString("host")).isEqualTo("beta");
    assertThat(lost.getString("hostId")).isEqualTo(ids.get("beta"));
    assertThat(lost.getString("pool")).isEqualTo("windows");
    assertThat(lost.getString("poolId")).isEqualTo(ids.get("windows"));
    assertThat(lost.getString("state")).isEqualTo("ended");
    assertThat(lost.getString("endReason")).contains("host lost");
    assertThat(Instant.parse(lost.getString("endedAt"))).isAfter(Instant.parse(lost.getString("createdAt")));
    assertThat(items.getJsonObject(2).getString("endReason")).isEqualTo("logged off by admin admin");
    assertThat(items.getJsonObject(1).getString("endReason")).isEqualTo("logged off by ben");
  }

  @Test
  void eachFilterNarrowsTheHistory() {
    // THEN by user name or id, host name or id, pool name or id, and resource
    assertThat(sessionIds(ended("&user=ANN"))).containsExactly(ids.get("ann-desk"), ids.get("ann-shell"));
    assertThat(sessionIds(ended("&user=" + ids.get("ben")))).containsExactly(ids.get("ben-desk"));
    assertThat(sessionIds(ended("&host=alpha"))).containsExactly(ids.get("ann-shell"));
    assertThat(sessionIds(ended("&host=" + ids.get("beta")))).containsExactly(ids.get("ann-desk"),
        ids.get("ben-desk"));
    assertThat(sessionIds(ended("&pool=windows"))).containsExactly(ids.get("ann-desk"), ids.get("ben-desk"));
    assertThat(sessionIds(ended("&pool=" + ids.get("linux")))).containsExactly(ids.get("ann-shell"));
    assertThat(sessionIds(ended("&resource=shell"))).containsExactly(ids.get("ann-shell"));
    assertThat(sessionIds(ended("&user=ann&pool=windows"))).containsExactly(ids.get("ann-desk"));
    assertThat(sessionIds(ended("&user=nobody"))).isEmpty();

    // AND by time: open at some time before the moment in between, or after it
    assertThat(sessionIds(ended("&to=" + encode(between.toString())))).containsExactly(ids.get("ben-desk"),
        ids.get("ann-shell"));
    assertThat(sessionIds(ended("&from=" + encode(between.toString())))).containsExactly(ids.get("ann-desk"));
    assertThat(sessionIds(ended("&from=" + encode(between.minus(Duration.ofHours(1)).atOffset(
        java.time.ZoneOffset.ofHours(2)).toString()) + "&to=" + encode(between.toString()))))
        .containsExactly(ids.get("ben-desk"), ids.get("ann-shell"));
  }

  @Test
  void aRenamedPoolFindsItsEarlierSessionsByItsNewName() {
    // GIVEN the pool linux renamed
    assertThat(client.put("/admin/api/v1/pools/linux", admin, "{\"name\":\"debian\"}").status()).isEqualTo(200);
    try {
      // THEN its sessions are found by the new name, and show the name they ran under
      JsonArray items = ended("&pool=debian").getJsonArray("items");
      assertThat(sessionIds(items)).containsExactly(ids.get("ann-shell"));
      assertThat(items.getJsonObject(0).getString("pool")).isEqualTo("linux");
    } finally {
      client.put("/admin/api/v1/pools/debian", admin, "{\"name\":\"linux\"}");
    }
  }

  @Test
  void pagesFollowEachOtherWithTheCursorUntilTheLast() {
    // WHEN the history is read one session a page
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = ended("&limit=1" + (cursor == null ? "" : "&cursor=" + cursor));
      seen.addAll(sessionIds(page));
      cursor = page.getString("nextCursor");
      pages++;
    } while (cursor != null && pages < 10);

    // THEN three pages hold the three sessions in order, and the last page says there is no next one
    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactly(ids.get("ann-desk"), ids.get("ben-desk"), ids.get("ann-shell"));
    assertThat(ended("&limit=3").containsKey("nextCursor")).isFalse();
  }

  @Test
  void theHelpDeskReadsTheHistoryAndWrongQueriesAreRefusedWithTheirReason() {
    // GIVEN the help desk (session-admin) and a plain user
    String helpdesk = client.login("helpdesk", "helpdesk-password");
    String ann = client.login("ann", "ann-password-1");

    // THEN the help desk reads the history, a user may not
    assertThat(client.get("/admin/api/v1/sessions?state=ended", helpdesk).json().getJsonArray("items")).hasSize(3);
    assertThat(client.get("/admin/api/v1/sessions?state=ended", ann).status()).isEqualTo(403);

    // AND malformed queries get a 400 saying what is wrong
    assertRefused("state=ended&from=yesterday", "from must be a time with its offset");
    assertRefused("state=ended&from=2026-11-25T15:00:00Z&to=2026-11-25T14:00:00Z", "from must be before to");
    assertRefused("state=ended&cursor=garbage", "cursor is not one this API gave out");
    assertRefused("state=ended&open=true", "exclude each other");
    assertRefused("state=ended&limit=0", "limit must be");
    assertRefused("pool=linux", "pool filters the session history: send it with state=ended");
  }

  @Test
  void eachUserReadsTheirOwnHistoryInTheStoreAPageAtATimeAndNobodyElses() {
    // GIVEN ann and ben signed in to the store
    String ann = client.login("ann", "ann-password-1");
    String ben = client.login("ben", "ben-password-1");

    // WHEN each reads GET /api/v1/sessions/history
    JsonArray annItems = own(ann, "").getJsonArray("items");
    JsonArray benItems = own(ben, "").getJsonArray("items");

    // THEN each sees only their own ended sessions, newest ended first, never the open one
    assertThat(sessionIds(annItems)).containsExactly(ids.get("ann-desk"), ids.get("ann-shell"));
    assertThat(sessionIds(benItems)).containsExactly(ids.get("ben-desk"));
    JsonObject desk = annItems.getJsonObject(0);
    assertThat(desk.getString("resource")).isEqualTo("desk");
    assertThat(desk.getString("host")).isEqualTo("beta");
    assertThat(desk.getString("pool")).isEqualTo("windows");
    assertThat(desk.getString("endReason")).contains("host lost");
    assertThat(Instant.parse(desk.getString("endedAt"))).isAfter(Instant.parse(desk.getString("createdAt")));
    assertThat(desk.fieldNames()).doesNotContain("userId", "username", "hostId", "address");

    // AND one session a page, the cursor leads to the next and the last page has none
    JsonObject first = own(ann, "?limit=1");
    assertThat(sessionIds(first)).containsExactly(ids.get("ann-desk"));
    JsonObject second = own(ann, "?limit=1&cursor=" + first.getString("nextCursor"));
    assertThat(sessionIds(second)).containsExactly(ids.get("ann-shell"));
    assertThat(second.containsKey("nextCursor")).isFalse();

    // AND a wrong page size or cursor is refused with its reason, and nobody reads it signed out
    assertThat(client.get("/api/v1/sessions/history?limit=0", ann).json().getString("detail"))
        .contains("limit must be");
    assertThat(client.get("/api/v1/sessions/history?cursor=garbage", ann).json().getString("detail"))
        .contains("cursor is not one this API gave out");
    assertThat(client.get("/api/v1/sessions/history", null).status()).isEqualTo(401);
  }

  // ---- helpers ----

  static JsonObject own(String token, String query) {
    Response response = client.get("/api/v1/sessions/history" + query, token);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.json();
  }

  static JsonObject ended(String filters) {
    Response response = client.get("/admin/api/v1/sessions?state=ended" + filters, admin);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.json();
  }

  static List<String> sessionIds(JsonObject page) {
    return sessionIds(page.getJsonArray("items"));
  }

  static List<String> sessionIds(JsonArray items) {
    return items.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }

  static void assertRefused(String query, String detail) {
    Response response = client.get("/admin/api/v1/sessions?" + query, admin);
    assertThat(response.status()).as(query).isEqualTo(400);
    assertThat(response.contentType()).isEqualTo("application/problem+json");
    assertThat(response.json().getString("detail")).as(query).contains(detail);
  }

  static String launch(String token, String resource) {
    Response launch = client.post("/api/v1/resources/" + resource + "/launch", token, null);
    assertThat(launch.status()).as(launch.body()).isEqualTo(200);
    return launch.json().getJsonObject("session").getString("id");
  }

  static String enrollAndRegister(String name, String poolId) throws Exception {
    UUID id = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(id, name, UUID.fromString(poolId), "10.0.0.1", "test-" + id)));
    await(site.node().hostEvents().registered(new HostRegistration(id.toString(), name, poolId, "10.0.0.1",
        site.node().nodeId(), Map.of(22, true), 0.1, List.of())));
    return id.toString();
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

}
