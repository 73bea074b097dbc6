package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three appliances of one location in one cluster, with a separate hub, as real processes. While the hub is down,
 * the cluster's leader places every session, whichever node the user came through, so the host is never
 * over-filled; when the leader is killed ({@code SIGKILL}), the next node leads with the hosts and sessions it
 * mirrored, and launches go on after at most one retry.
 */
class ClusterOutageIT {

  private static final Duration START = Duration.ofMinutes(3);
  private static final String ADMIN_PASSWORD = "hub-admin-password-1";
  private static final int CAPACITY = 4;

  @TempDir
  Path tmp;

  @Test
  void theLeaderPlacesForTheWholeClusterAndTheNextNodeLeadsWhenItDies() throws Exception {
    int hubPort = FreePorts.next();
    try (Processes processes = new Processes(tmp); ServerSocket service = new ServerSocket(0)) {
      OutpostProcess hub = HubSite.startHub(tmp, Map.of(), hubPort, ADMIN_PASSWORD, processes::start);
      SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
      String admin = hubApi.login("admin", ADMIN_PASSWORD);

      // GIVEN a location whose one host takes 4 sessions, and six entitled users
      String connector = HubSite.publish(hubApi, admin, CAPACITY, service.getLocalPort(), 6);

      // AND three appliances of the location in one cluster (node-1 the oldest), the host linked to node-3
      List<SiteClient> nodes = new ArrayList<>();
      List<Integer> gatewayPorts = new ArrayList<>();
      List<OutpostProcess> appliances = HubSite.startThree(tmp, Map.of("OUTPOST_HUB_TOKEN", connector,
          "OUTPOST_HUB_OUTAGE_THRESHOLD", "3s", "OUTPOST_HUB_SYNC_INTERVAL", "1s", "OUTPOST_CLUSTER_MIN_MEMBERS", "2",
          // hosts stay registered through the seconds the cluster needs to notice a killed member (5 s)
          "OUTPOST_BROKER_HEARTBEAT_INTERVAL", "5s"), hubPort, nodes, gatewayPorts, processes::start);
      String token = hubApi.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"linux\"}").created()
          .getString("token");
      OutpostProcess agent = processes.start(Map.of(), "agent", "--appliance", "https://localhost:"
          + nodes.get(2).port(), "--token", token, "--address", "127.0.0.1", "--name", "host-1", "--data-dir",
          tmp.resolve("agent").toString());
      agent.awaitStdout("Linked to", START);
      String probe = nodes.get(0).login("user6", "user-password-6");
      Poll.until("every node sees the host", Duration.ofSeconds(60), () -> HubSite.available(nodes.get(0), probe));
      assertThat(nodes.get(0).get("/admin/api/v1/nodes", nodes.get(0).login("admin", ADMIN_PASSWORD)).json()
          .getJsonArray("items")).hasSize(3);
      for (int n = 0; n < 3; n++) {
        Path cache = tmp.resolve("node-" + (n + 1) + "/lhc/snapshot.json");
        Poll.until("node " + (n + 1) + " caches the site", Duration.ofSeconds(30),
            () -> Files.exists(cache) && SiteClient.readOrEmpty(cache).contains("user6"));
      }

      // AND user1 has a session placed by the hub through node-2
      String user1 = nodes.get(1).login("user1", "user-password-1");
      Response first = nodes.get(1).post("/api/v1/resources/app/launch", user1, null);
      assertThat(first.status()).as(first.body()).isEqualTo(200);
      String sessionId = first.json().getJsonObject("session").getString("id");

      // WHEN the hub stops
      assertThat(hub.stop()).isZero();
      for (SiteClient node : nodes) {
        Poll.until("local mode", Duration.ofSeconds(10), () -> "local".equals(HubSite.mode(node)));
      }

      // AND every node lists the others with their roles and the mode they report
      String nodeAdmin = nodes.get(2).login("admin", ADMIN_PASSWORD);
      Poll.until("nodes report local mode", Duration.ofSeconds(20), () -> nodes.get(2).get("/admin/api/v1/nodes",
          nodeAdmin).json().getJsonArray("items").stream().map(JsonObject.class::cast)
          .allMatch(m -> "local".equals(m.getJsonObject("status").getString("mode"))));
      assertThat(nodes.get(2).get("/admin/api/v1/nodes", nodeAdmin).json().getJsonArray("items").stream()
          .map(JsonObject.class::cast).map(m -> m.getString("role")).toList())
          .containsExactly("leader", "member", "member");

      // THEN users launching through different nodes fill the host exactly to its capacity, no further
      Map<String, Integer> statuses = new HashMap<>();
      for (int u = 2; u <= 5; u++) {
        SiteClient node = nodes.get(u % 3);
        Response launch = node.post("/api/v1/resources/app/launch", node.login("user" + u, "user-password-" + u),
            null);
        statuses.merge(Integer.toString(launch.status()), 1, Integer::sum);
      }
      assertThat(statuses).isEqualTo(Map.of("200", CAPACITY - 1, "409", 1));

      // WHEN the leader (node-1) is killed and user1 logs off through node-2, freeing one slot
      appliances.get(0).kill();
      Response logoff = null;
      for (int attempt = 0; attempt < 2 && (logoff == null || logoff.status() != 200); attempt++) {
        logoff = nodes.get(1).post("/api/v1/sessions/" + sessionId + "/logoff", user1, null);
        if (logoff.status() != 200) {
          Poll.until("the cluster notices node-1 is gone", Duration.ofSeconds(20),
              () -> nodes.get(1).get("/admin/api/v1/nodes", nodes.get(1).login("admin", ADMIN_PASSWORD)).json()
                  .getJsonArray("items").size() == 2);
        }
      }
      assertThat(logoff.status()).as(logoff.body() + "\nsessions at node-2: "
          + nodes.get(1).get("/admin/api/v1/sessions", nodes.get(1).login("admin", ADMIN_PASSWORD)).body())
          .isEqualTo(200);

      // THEN the new leader knows the host and its sessions: one more launch fits, the next does not
      Response fits = launchWithOneRetry(nodes.get(2), "user5", "user-password-5");
      assertThat(fits.status()).as(fits.body()).isEqualTo(200);
      Response full = launchWithOneRetry(nodes.get(1), "user6", "user-password-6");
      assertThat(full.status()).as(full.body()).isEqualTo(409);

      // WHEN node-3 holds an unused ticket and is then left alone, below cluster.min-members (2)
      Response again = nodes.get(2).post("/api/v1/resources/app/launch", nodes.get(2).login("user5", "user-password-5"),
          null);
      assertThat(again.status()).as(again.body()).isEqualTo(200);
      appliances.get(1).kill();
      Poll.until("node-3 sees itself alone", Duration.ofSeconds(20), () -> nodes.get(2).get("/admin/api/v1/nodes",
          nodes.get(2).login("admin", ADMIN_PASSWORD)).json().getJsonArray("items").size() == 1);

      // THEN it places nothing (it may be the cut-off half of a split cluster) and its ticket opens no stream
      Response alone = nodes.get(2).post("/api/v1/resources/app/launch", nodes.get(2).login("user6", "user-password-6"),
          null);
      assertThat(alone.status()).as(alone.body()).isEqualTo(503);
      assertThat(alone.json().getString("detail")).contains("cluster.min-members");
      assertThat(HubSite.presentTicket(tmp.resolve("node-3/tls/ca.crt"), gatewayPorts.get(2),
          again.json().getString("ticket"))).startsWith("ERR 503");
    }
  }

  private static Response launchWithOneRetry(SiteClient node, String user, String password) {
    String token = node.login(user, password);
    Response launch = node.post("/api/v1/resources/app/launch", token, null);
    return launch.status() >= 500 ? node.post("/api/v1/resources/app/launch", token, null) : launch;
  }

}
