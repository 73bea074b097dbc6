package dev.outpost.it;

import static dev.outpost.lease.LeaseSites.awaitLease;
import static dev.outpost.lease.LeaseSites.leaseLaunch;
import static dev.outpost.lease.LeaseSites.login;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.lease.LeaseSites.Device;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An account change made at a separate hub reaches the appliances at once, as real processes: a hub, two appliances
 * of its location in one cluster and a session host's agent. Users sign in at node-1 and get connection leases;
 * at the hub an admin disables one, gives one a new password and demotes one; the hub stops right after. On
 * node-2, brokering alone from its local host cache, those three leases are refused with their user's reason and
 * an unchanged user's lease still launches — with {@code hub.sync-interval} at 10 minutes, so that only the hub's
 * notice, not a sync, can have brought the change.
 */
class AccountRevocationOutageIT {

  private static final Duration START = Duration.ofMinutes(3);
  private static final String ADMIN_PASSWORD = "hub-admin-password-1";
  private static final List<String> USERS = List.of("user1", "user2", "user3", "user4");

  @TempDir
  Path tmp;

  @Test
  void aUserDisabledRePasswordedOrDemotedAtTheHubCannotLaunchWithTheLeaseOnAnotherNodeInOutageMode()
      throws Exception {
    int hubPort = FreePorts.next();
    try (Processes processes = new Processes(tmp); ServerSocket service = new ServerSocket(0)) {
      OutpostProcess hub = HubSite.startHub(tmp, Map.of(), hubPort, ADMIN_PASSWORD, processes::start);
      SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
      String admin = hubApi.login("admin", ADMIN_PASSWORD);

      // GIVEN a location with one resource, four entitled users, user3 also a session admin
      String connector = HubSite.publish(hubApi, admin, 10, service.getLocalPort(), USERS.size());
      assertThat(hubApi.put("/admin/api/v1/users/user3", admin, "{\"roles\":[\"user\",\"session-admin\"]}")
          .status()).isEqualTo(200);

      // AND two appliances of it in one cluster, which sync with the hub every 10 minutes only, and a host
      List<SiteClient> nodes = new ArrayList<>();
      List<OutpostProcess> appliances = HubSite.startNodes(2, tmp, Map.of("OUTPOST_HUB_TOKEN", connector,
          "OUTPOST_HUB_OUTAGE_THRESHOLD", "4s", "OUTPOST_HUB_SYNC_INTERVAL", "10m"), hubPort, nodes,
          new ArrayList<>(), processes::start);
      String enrollToken = hubApi.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"linux\"}").created()
          .getString("token");
      // (linked to the node that enrolled with the hub last, whose CA the hub's enrollment tokens name)
      processes.start(Map.of(), "agent", "--appliance", "https://localhost:" + nodes.get(1).port(), "--token",
          enrollToken, "--address", "127.0.0.1", "--name", "host-1", "--data-dir", tmp.resolve("agent").toString())
          .awaitStdout("Linked to", START);
      SiteClient first = nodes.get(0);
      SiteClient second = nodes.get(1);
      String probe = second.login("user4", "user-password-4");
      Poll.until("node-2 sees the host", Duration.ofSeconds(60), () -> HubSite.available(second, probe));

      // AND each user signed in at node-1 with a device key, with a lease that launches at node-2
      Map<String, Device> devices = new HashMap<>();
      Map<String, String> tokens = new HashMap<>();
      Map<String, JsonObject> leases = new HashMap<>();
      for (int u = 1; u <= USERS.size(); u++) {
        String name = "user" + u;
        devices.put(name, Device.create());
        tokens.put(name, login(first, name, "user-password-" + u, devices.get(name)));
        leases.put(name, awaitLease(first, tokens.get(name)));
        Response launched = launch(second, name, devices, leases);
        assertThat(launched.status()).as(name + ": " + launched.body()).isEqualTo(200);
      }

      // WHEN at the hub an admin disables user1, gives user2 a new password and removes user3's session-admin role,
      // and saves user4 as it is
      assertThat(hubApi.put("/admin/api/v1/users/user1", admin, "{\"disabled\":true}").status()).isEqualTo(200);
      assertThat(hubApi.put("/admin/api/v1/users/user2", admin, "{\"password\":\"user-password-2b\"}").status())
          .isEqualTo(200);
      assertThat(hubApi.put("/admin/api/v1/users/user3", admin, "{\"roles\":[\"user\"]}").status()).isEqualTo(200);
      assertThat(hubApi.put("/admin/api/v1/users/user4", admin, "{\"disabled\":false,\"roles\":[\"user\"]}")
          .status()).isEqualTo(200);

      // THEN the hub audited one lease revocation per change, naming the admin and the reason
      JsonArray audit = hubApi.get("/admin/api/v1/audit?targetType=lease-revocation", admin).json()
          .getJsonArray("items");
      Map<String, String> reasons = new HashMap<>();
      for (Object row : audit) {
        JsonObject entry = (JsonObject) row;
        assertThat(entry.getString("actor")).isEqualTo("admin");
        assertThat(reasons.put(entry.getString("targetName"), entry.getJsonObject("detail").getString("reason")))
            .as("one entry per change").isNull();
      }
      assertThat(reasons).isEqualTo(Map.of("user1", "account disabled", "user2", "password changed",
          "user3", "role removed: session-admin"));

      // WHEN the hub stops right after, and node-2 brokers alone from its local host cache
      assertThat(hub.stop()).isZero();
      Poll.until("node-2 brokers alone", Duration.ofSeconds(60), () -> "local".equals(HubSite.mode(second)));

      // THEN at node-2 the three leases are refused, each with its user's reason
      assertRefused(launch(second, "user1", devices, leases), "your account is disabled");
      assertRefused(launch(second, "user2", devices, leases), "(password changed); sign in again");
      assertRefused(launch(second, "user3", devices, leases), "(role removed: session-admin); sign in again");
      // AND user4's lease still launches there
      Response control = launch(second, "user4", devices, leases);
      assertThat(control.status()).as(control.body()).isEqualTo(200);

      // AND the three were signed out on the node they signed in at, user4 was not
      for (String name : List.of("user1", "user2", "user3")) {
        assertThat(first.get("/api/v1/lease", tokens.get(name)).status()).as(name).isEqualTo(401);
      }
      assertThat(first.get("/api/v1/lease", tokens.get("user4")).status()).isEqualTo(200);
      // AND user2 signs in at node-2 with the new password only, from its local host cache
      assertThat(second.post("/api/v1/login", null, new JsonObject().put("username", "user2")
          .put("password", "user-password-2").encode()).status()).isEqualTo(401);
      assertThat(second.login("user2", "user-password-2b")).isNotBlank();
      for (OutpostProcess appliance : appliances) {
        assertThat(appliance.stdout()).doesNotContain("Exception");
      }
    }
  }

  private static Response launch(SiteClient node, String name, Map<String, Device> devices,
      Map<String, JsonObject> leases) {
    JsonObject lease = leases.get(name);
    return leaseLaunch(node, lease.getString("lease"), "app", devices.get(name).proof(lease.getString("id"), "app",
        Instant.now()));
  }

  private static void assertRefused(Response response, String reason) {
    assertThat(response.status()).as(response.body()).isEqualTo(403);
    assertThat(response.contentType()).startsWith("application/problem+json");
    assertThat(response.json().getString("detail")).contains(reason).doesNotContain("expired");
  }
}
