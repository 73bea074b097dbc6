package dev.outpost.broker;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.error.UserRefusal;
import dev.outpost.hosts.HostEvents;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Enumeration, launch, sessions and host admin through the store and admin APIs of a real site, with the
 * hub's broker reached over the appliance's tunnel. Hosts report through the node's host events, as the
 * agent endpoint does.
 */
class BrokeringTest {

  @TempDir
  static Path tmp;
  static TestSite site;
  static SiteClient client;
  static String admin;
  static final Map<String, String> tokens = new HashMap<>();
  static final Map<String, String> hostIds = new HashMap<>();
  static String poolId;

  @BeforeAll
  static void site() throws Exception {
    site = TestSite.start(tmp.resolve("node"));
    client = site.client();
    admin = site.adminToken();
    poolId = created(client.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":2}"))
        .getString("id");
    created(client.post("/admin/api/v1/resources", admin,
        "{\"name\":\"shell\",\"pool\":\"linux\",\"kind\":\"desktop\",\"port\":22,\"launchHint\":\"ssh\"}"));
    created(client.post("/admin/api/v1/resources", admin,
        "{\"name\":\"web\",\"pool\":\"linux\",\"kind\":\"app\",\"port\":8080}"));
    created(client.post("/admin/api/v1/groups", admin, "{\"name\":\"web-users\"}"));
    for (int i = 1; i <= 6; i++) {
      created(client.post("/admin/api/v1/users", admin, new JsonObject().put("username", "user" + i)
          .put("password", "user" + i + "-password").encode()));
      created(client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"user\":\"user" + i + "\"}"));
      tokens.put("user" + i, client.login("user" + i, "user" + i + "-password"));
    }
    created(client.post("/admin/api/v1/users", admin,
        "{\"username\":\"helpdesk\",\"password\":\"helpdesk-password\",\"roles\":[\"session-admin\"]}"));
    tokens.put("helpdesk", client.login("helpdesk", "helpdesk-password"));
    assertThat(client.put("/admin/api/v1/groups/web-users", admin, "{\"members\":[\"user1\"]}").status())
        .isEqualTo(200);
    created(client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"web\",\"group\":\"web-users\"}"));
    for (String host : new String[] {"alpha", "beta", "gamma"}) {
      hostIds.put(host, enroll(host));
    }
    awaitTrue(() -> client.get("/api/v1/resources", tokens.get("user1")).json().getJsonArray("items").size() == 2);
  }

  @AfterAll
  static void stop() {
    site.close();
  }

  @Test
  void usersSeeOnlyWhatTheyAreEntitledToWithItsAvailability() throws Exception {
    // GIVEN one registered host, whose web app port is down
    for (String host : new String[] {"beta", "gamma"}) {
      await(site.node().hostEvents().lost(hostIds.get(host), "test"));
    }
    register("alpha", Map.of(22, true, 8080, false));

    // WHEN two users list their resources
    JsonArray user1 = client.get("/api/v1/resources", tokens.get("user1")).json().getJsonArray("items");
    JsonArray user2 = client.get("/api/v1/resources", tokens.get("user2")).json().getJsonArray("items");

    // THEN each sees only their entitlements (web through a group), and web is not available
    assertThat(names(user1)).containsExactly("shell", "web");
    assertThat(names(user2)).containsExactly("shell");
    JsonObject web = user1.getJsonObject(1);
    assertThat(web.getBoolean("available")).isFalse();
    assertThat(web.getString("reason")).isEqualTo(UserRefusal.NOT_AVAILABLE);
    assertThat(client.get("/api/v1/resources", null).status()).isEqualTo(401);
  }

  @Test
  void launchesSpreadRefuseBeyondCapacityAndReconnect() throws Exception {
    // GIVEN three registered hosts of a pool allowing 2 sessions each, and one host drained
    register("alpha", Map.of(22, true));
    register("beta", Map.of(22, true));
    register("gamma", Map.of(22, true));
    Response drained = client.put("/admin/api/v1/hosts/" + hostIds.get("gamma"), admin, "{\"draining\":true}");
    assertThat(drained.status()).as(drained.body()).isEqualTo(200);
    assertThat(drained.json().getString("state")).isEqualTo("draining");
    logoffAll();

    // WHEN four users launch the shell
    Map<String, JsonObject> launches = new HashMap<>();
    for (int i = 1; i <= 4; i++) {
      Response launch = client.post("/api/v1/resources/shell/launch", tokens.get("user" + i), null);
      assertThat(launch.status()).as(launch.body()).isEqualTo(200);
      launches.put("user" + i, launch.json());
    }

    // THEN the two accepting hosts take two each, tickets are long and unique, the drained host gets none
    Map<String, Long> perHost = launches.values().stream()
        .collect(Collectors.groupingBy(l -> l.getJsonObject("session").getString("host"), Collectors.counting()));
    assertThat(perHost).containsOnly(Map.entry("alpha", 2L), Map.entry("beta", 2L));
    assertThat(launches.values()).allSatisfy(l -> {
      assertThat(l.getString("ticket")).hasSizeGreaterThanOrEqualTo(22);
      assertThat(Instant.parse(l.getString("expiresAt"))).isBetween(Instant.now().plusSeconds(80),
          Instant.now().plusSeconds(101));
      assertThat(l.getJsonArray("gateways")).hasSize(2);
      assertThat(l.getJsonObject("session").containsKey("hostAddress")).isFalse();
    });
    assertThat(launches.values().stream().map(l -> l.getString("ticket")).distinct()).hasSize(4);

    // AND a fifth user is refused with a clear 409, while the first user reconnects to the same session
    Response full = client.post("/api/v1/resources/shell/launch", tokens.get("user5"), null);
    assertThat(full.status()).isEqualTo(409);
    assertThat(full.contentType()).isEqualTo("application/problem+json");
    assertThat(full.json().getString("detail")).isEqualTo(UserRefusal.BUSY);
    Response again = client.post("/api/v1/resources/shell/launch", tokens.get("user1"), null);
    assertThat(again.json().getBoolean("reconnected")).isTrue();
    assertThat(again.json().getJsonObject("session").getString("id"))
        .isEqualTo(launches.get("user1").getJsonObject("session").getString("id"));

    // WHEN the drained host is released THEN it takes the next launch
    client.put("/admin/api/v1/hosts/" + hostIds.get("gamma"), admin, "{\"draining\":false}");
    Response fifth = client.post("/api/v1/resources/shell/launch", tokens.get("user5"), null);
    assertThat(fifth.status()).as(fifth.body()).isEqualTo(200);
    assertThat(fifth.json().getJsonObject("session").getString("host")).isEqualTo("gamma");
  }

  @Test
  void usersManageTheirOwnSessionsAndHelpDeskManagesAll() throws Exception {
    register("alpha", Map.of(22, true));
    register("beta", Map.of(22, true));
    logoffAll();
    String mine = client.post("/api/v1/resources/shell/launch", tokens.get("user6"), null).json()
        .getJsonObject("session").getString("id");
    String theirs = client.post("/api/v1/resources/shell/launch", tokens.get("user3"), null).json()
        .getJsonObject("session").getString("id");

    // a user sees and acts on their own sessions only
    JsonArray own = client.get("/api/v1/sessions", tokens.get("user6")).json().getJsonArray("items");
    assertThat(own).extracting(o -> ((JsonObject) o).getString("id")).containsExactly(mine);
    assertThat(client.post("/api/v1/sessions/" + theirs + "/logoff", tokens.get("user6"), null).status())
        .isEqualTo(404);
    Response disconnected = client.post("/api/v1/sessions/" + mine + "/disconnect", tokens.get("user6"), null);
    assertThat(disconnected.json().getString("state")).isEqualTo("disconnected");
    // a log-off retried after its answer was lost is told the session ended, and still not of another's session
    assertThat(client.post("/api/v1/sessions/" + mine + "/logoff", tokens.get("user6"), null).status())
        .isEqualTo(200);
    Response again = client.post("/api/v1/sessions/" + mine + "/logoff", tokens.get("user6"), null);
    assertThat(again.status()).as(again.body()).isEqualTo(200);
    assertThat(again.json().getString("state")).isEqualTo("ended");
    assertThat(client.post("/api/v1/sessions/" + mine + "/disconnect", tokens.get("user6"), null).status())
        .isEqualTo(404);

    // the help desk lists everything, filters, and logs a user off; it cannot touch hosts or the site model
    String helpdesk = tokens.get("helpdesk");
    JsonArray byUser = client.get("/admin/api/v1/sessions?user=user3&open=true", helpdesk).json().getJsonArray("items");
    assertThat(byUser).extracting(o -> ((JsonObject) o).getString("id")).containsExactly(theirs);
    Response logoff = client.post("/admin/api/v1/sessions/" + theirs + "/logoff", helpdesk, null);
    assertThat(logoff.status()).as(logoff.body()).isEqualTo(200);
    assertThat(logoff.json().getString("state")).isEqualTo("ended");
    assertThat(client.get("/admin/api/v1/hosts", helpdesk).status()).isEqualTo(403);
    assertThat(client.get("/admin/api/v1/pools", helpdesk).status()).isEqualTo(403);
    assertThat(client.get("/admin/api/v1/sessions", tokens.get("user1")).status()).isEqualTo(403);
    assertThat(client.get("/admin/api/v1/sessions?state=bogus", helpdesk).status()).isEqualTo(400);

    // and the actions are audited
    JsonArray audit = client.get("/admin/api/v1/audit?actor=helpdesk", admin).json().getJsonArray("items");
    assertThat(audit).extracting(o -> ((JsonObject) o).getString("action")).contains("session.logoff");
  }

  @Test
  void aLostHostEndsItsSessionsAndFreesItsCapacity() throws Exception {
    register("alpha", Map.of(22, true));
    logoffAll();
    for (String host : new String[] {"beta", "gamma"}) {
      await(site.node().hostEvents().lost(hostIds.get(host), "test"));
    }
    String session = client.post("/api/v1/resources/shell/launch", tokens.get("user2"), null).json()
        .getJsonObject("session").getString("id");

    await(site.node().hostEvents().lost(hostIds.get("alpha"), "agent link closed"));

    JsonObject ended = client.get("/admin/api/v1/sessions?user=user2", admin).json().getJsonArray("items")
        .stream().map(JsonObject.class::cast).filter(s -> s.getString("id").equals(session)).findFirst().orElseThrow();
    assertThat(ended.getString("state")).isEqualTo("ended");
    assertThat(ended.getString("endReason")).contains("host lost");
    Response none = client.post("/api/v1/resources/shell/launch", tokens.get("user2"), null);
    assertThat(none.status()).isEqualTo(503);
    assertThat(none.json().getString("detail")).isEqualTo(UserRefusal.NOT_AVAILABLE);
  }

  @Test
  void aLaunchWithNoHostAvailableIsRefusedInUserWordsAndLoggedForAdminsWithoutAnError() throws Exception {
    // GIVEN no registered host, and the node's log watched
    for (String host : new String[] {"alpha", "beta", "gamma"}) {
      await(site.node().hostEvents().lost(hostIds.get(host), "test"));
    }
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    log.start();
    root.addAppender(log);
    try {
      // WHEN a user launches
      Response refused = client.post("/api/v1/resources/shell/launch", tokens.get("user4"), null);

      // THEN the user is told it is not available right now, without the site's inner workings
      assertThat(refused.status()).isEqualTo(503);
      assertThat(refused.contentType()).isEqualTo("application/problem+json");
      assertThat(refused.json().getString("detail")).isEqualTo(UserRefusal.NOT_AVAILABLE);
      assertThat(refused.body()).doesNotContain("pool", "linux", "registered");

      // AND the log has the admin-level reason at info, in one line, and no error or stack trace at all
      Poll.until("the refusal is logged", Duration.ofSeconds(10), () -> List.copyOf(log.list).stream()
          .anyMatch(e -> e.getFormattedMessage().contains("no session host of pool 'linux' is registered")));
      List<ILoggingEvent> events = List.copyOf(log.list);
      assertThat(events).noneMatch(e -> e.getLevel() == Level.ERROR);
      assertThat(events).allMatch(e -> e.getThrowableProxy() == null || e.getLevel().toInt() <= Level.DEBUG_INT);
      ILoggingEvent line = events.stream().filter(e -> e.getFormattedMessage().contains("no session host of pool"))
          .findFirst().orElseThrow();
      assertThat(line.getLevel()).isEqualTo(Level.INFO);
      assertThat(line.getFormattedMessage()).contains(UserRefusal.NOT_AVAILABLE).doesNotContain("Exception");
    } finally {
      root.detachAppender(log);
    }

    // AND the store's list says the same in the user's words, while the admin's host list shows what is missing
    JsonObject shell = client.get("/api/v1/resources", tokens.get("user4")).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(r -> r.getString("name").equals("shell")).findFirst().orElseThrow();
    assertThat(shell.getBoolean("available")).isFalse();
    assertThat(shell.getString("reason")).isEqualTo(UserRefusal.NOT_AVAILABLE);
    assertThat(client.get("/admin/api/v1/hosts?enrolled=true", admin).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(h -> "linux".equals(h.getString("pool")))
        .map(h -> h.getString("state"))).containsOnly("lost");
  }

  @Test
  void aHostThatIsNotEnrolledCannotRegister() {
    HostRegistration stranger = new HostRegistration(UUID.randomUUID().toString(), "stranger", poolId, "10.9.9.9",
        "node", Map.of(22, true), 0, List.of());

    assertThat(site.node().hostEvents().registered(stranger).toCompletionStage().toCompletableFuture())
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableThat().withMessageContaining("is not enrolled");
  }

  @Test
  void anAdminNamesHostsByNameAndForgetsOneOnlyOnceItIsLost() throws Exception {
    // GIVEN a registered host, named by name rather than id
    hostIds.put("retired", enroll("retired"));
    register("retired", Map.of(22, true));

    // WHEN the admin puts it in maintenance by name THEN it changes, and the audit names it
    Response maintenance = client.put("/admin/api/v1/hosts/retired", admin, "{\"maintenance\":true}");
    assertThat(maintenance.status()).as(maintenance.body()).isEqualTo(200);
    assertThat(maintenance.json().getString("state")).isEqualTo("maintenance");
    assertThat(client.get("/admin/api/v1/hosts/RETIRED", admin).json().getString("id"))
        .isEqualTo(hostIds.get("retired"));

    // WHEN the admin deletes it while its agent is linked THEN it is refused, saying what to do first
    Response linked = client.delete("/admin/api/v1/hosts/retired", admin);
    assertThat(linked.status()).as(linked.body()).isEqualTo(409);
    assertThat(linked.contentType()).isEqualTo("application/problem+json");
    assertThat(linked.json().getString("detail")).contains("host retired is registered", "drain it",
        "stop its agent", "once it shows as lost");

    // WHEN its agent stops for good THEN it shows as lost, by name too, and can be deleted
    await(site.node().hostEvents().lost(hostIds.get("retired"), "agent link closed"));
    assertThat(client.get("/admin/api/v1/hosts/retired", admin).json().getString("state")).isEqualTo("lost");
    Response deleted = client.delete("/admin/api/v1/hosts/retired", admin);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(204);

    // THEN it is gone from every list, a second delete is a 404, and it cannot register again
    assertThat(names(client.get("/admin/api/v1/hosts?enrolled=true", admin).json().getJsonArray("items")))
        .doesNotContain("retired");
    assertThat(client.get("/admin/api/v1/hosts/retired", admin).status()).isEqualTo(404);
    Response again = client.delete("/admin/api/v1/hosts/" + hostIds.get("retired"), admin);
    assertThat(again.status()).isEqualTo(404);
    assertThat(again.json().getString("detail")).contains("no enrolled host");
    assertThat(site.node().hostEvents().registered(new HostRegistration(hostIds.get("retired"), "retired", poolId,
        "10.0.0.7", site.node().nodeId(), Map.of(22, true), 0, List.of())).toCompletionStage().toCompletableFuture())
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableThat().withMessageContaining("is not enrolled");

    // AND both changes are audited under the host's name
    JsonArray audit = client.get("/admin/api/v1/audit?targetType=host", admin).json().getJsonArray("items");
    assertThat(audit.stream().map(JsonObject.class::cast).filter(e -> "retired".equals(e.getString("targetName")))
        .map(e -> e.getString("action"))).contains("host.update", "host.delete");
  }

  // ---- helpers ----

  static void logoffAll() {
    JsonArray open = client.get("/admin/api/v1/sessions?open=true&limit=5000", admin).json().getJsonArray("items");
    for (Object o : open) {
      client.post("/admin/api/v1/sessions/" + ((JsonObject) o).getString("id") + "/logoff", admin, null);
    }
  }

  static HostEvents.Registered register(String name, Map<Integer, Boolean> services) throws Exception {
    return await(site.node().hostEvents().registered(new HostRegistration(hostIds.get(name), name, poolId,
        "10.0.0." + name.length(), site.node().nodeId(), services, 0.1, List.of())));
  }

  static String enroll(String name) throws Exception {
    UUID id = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(id, name, UUID.fromString(poolId), "10.0.0.1", "test-" + id)));
    return id.toString();
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  static List<String> names(JsonArray items) {
    return items.stream().map(o -> ((JsonObject) o).getString("name")).toList();
  }

  static void awaitTrue(Supplier<Boolean> condition) throws InterruptedException {
    dev.outpost.testing.Poll.until("condition", Duration.ofSeconds(20), condition::get);
  }
}
