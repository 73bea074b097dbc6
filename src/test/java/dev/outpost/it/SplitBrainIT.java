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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A true split brain, with real processes: a hub and three appliances of one location, each node on a loopback
 * address of its own ({@code cluster.host} 127.0.0.2, .3, .4) with {@code cluster.min-members} 2. The hub is stopped
 * so that the cluster brokers by itself, then firewall rules cut node-3 off from nodes 1 and 2 in both directions
 * while all three keep running. The cut-off node refuses to place and to open tickets; the majority fills the host
 * to its capacity and no further; a ticket issued before the cut opens at most once across both halves; after the
 * cut heals, the cluster is whole again and still no host is over capacity and no ticket opens twice.
 *
 * <p>Needs {@code iptables} and root (run-tests installs it); the rules carry a comment starting with
 * {@code outpost-splitbrain-} and are removed afterwards, also those a killed earlier run left behind.
 */
class SplitBrainIT {

  private static final Duration START = Duration.ofMinutes(3);
  private static final String ADMIN_PASSWORD = "hub-admin-password-1";
  private static final int CAPACITY = 3;
  /** Users 1..6 launch; user 7 only probes, so that a probe never reconnects a session of its own. */
  private static final int USERS = 6;
  private static final int PROBE = USERS + 1;
  private static final String RULE_TAG = "outpost-splitbrain-";
  private static final String[] HOSTS = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};

  @TempDir
  Path tmp;

  @Test
  void theCutOffNodeRefusesAndTheMajorityNeverOverfillsOrReusesATicket() throws Exception {
    Firewall.removeLeftovers(RULE_TAG);
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    int hubPort = FreePorts.next();
    Firewall firewall = new Firewall(RULE_TAG + ProcessHandle.current().pid() + "-" + System.nanoTime());
    try (Processes processes = new Processes(tmp); ServerSocket service = new ServerSocket(0)) {
      OutpostProcess hub = processes.start(Map.of(), "hub", "--data-dir", tmp.resolve("hub").toString(),
          "--hub-port", Integer.toString(hubPort), "--admin-password-file", passwordFile.toString());
      hub.awaitStdout("Outpost hub .* ready", START);
      SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
      String admin = hubApi.login("admin", ADMIN_PASSWORD);

      // GIVEN a location whose one host takes 3 sessions, and seven entitled users
      String connector = HubSite.publish(hubApi, admin, CAPACITY, service.getLocalPort(), PROBE);

      // AND three appliances in one cluster, each on a loopback address of its own, min-members 2
      String clusterName = "it-" + System.nanoTime();
      int firstClusterPort = FreePorts.next();
      List<SiteClient> nodes = new ArrayList<>();
      List<Integer> gatewayPorts = new ArrayList<>();
      String token = null;
      for (int n = 1; n <= 3; n++) {
        int https = FreePorts.next();
        int clusterPort = n == 1 ? firstClusterPort : FreePorts.next();
        gatewayPorts.add(FreePorts.next());
        Map<String, String> env = Map.of("OUTPOST_HUB_TOKEN", connector, "OUTPOST_HUB_OUTAGE_THRESHOLD", "3s",
            "OUTPOST_HUB_SYNC_INTERVAL", "1s", "OUTPOST_CLUSTER_NAME", clusterName, "OUTPOST_CLUSTER_MIN_MEMBERS", "2",
            "OUTPOST_BROKER_HEARTBEAT_INTERVAL", "5s",
            "OUTPOST_CLUSTER_SECRET", "split-brain-cluster-secret-0123456789");
        List<String> args = new ArrayList<>(List.of("appliance", "--data-dir", tmp.resolve("node-" + n).toString(),
            "--https-port", Integer.toString(https), "--cluster-host", HOSTS[n - 1], "--cluster-bus-port",
            Integer.toString(FreePorts.next()), "--cluster-port", Integer.toString(clusterPort), "--gateway-port",
            Integer.toString(gatewayPorts.get(n - 1)), "--hub", "https://localhost:" + hubPort));
        if (n > 1) {
          args.addAll(List.of("--join", HOSTS[0] + ":" + firstClusterPort));
        }
        OutpostProcess node = processes.start(env, args.toArray(String[]::new));
        node.awaitStdout("ready: https://localhost:" + https, START);
        nodes.add(new SiteClient(tmp.resolve("node-" + n + "/tls/ca.crt"), https));
        if (n == 1) {
          // a hub token names the CA of the appliance that enrolled last: make the agent's while that is node-1
          token = hubApi.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"linux\"}").created()
              .getString("token");
        }
      }
      // AND the host's agent linked to node-1
      processes.start(Map.of(), "agent", "--appliance", "https://localhost:" + nodes.get(0).port(), "--token", token,
          "--address", "127.0.0.1", "--name", "host-1", "--data-dir", tmp.resolve("agent").toString())
          .awaitStdout("Linked to", START);
      for (int n = 0; n < 3; n++) {
        SiteClient node = nodes.get(n);
        String probe = node.login("user" + PROBE, "user-password-" + PROBE);
        Poll.until("node-" + (n + 1) + " sees the host", Duration.ofSeconds(60),
            () -> HubSite.available(node, probe));
        Path cache = tmp.resolve("node-" + (n + 1) + "/lhc/snapshot.json");
        Poll.until("node-" + (n + 1) + " caches the site", Duration.ofSeconds(30),
            () -> Files.exists(cache) && SiteClient.readOrEmpty(cache).contains("user" + PROBE));
      }
      assertThat(members(nodes.get(0))).isEqualTo(3);

      // AND the hub is stopped: the cluster brokers by itself (the dangerous case for a split)
      assertThat(hub.stop()).isZero();
      for (SiteClient node : nodes) {
        Poll.until("local mode", Duration.ofSeconds(20), () -> "local".equals(HubSite.mode(node)));
      }

      // AND user1 holds a ticket issued through node-3 before the cut
      Response before = nodes.get(2).post("/api/v1/resources/app/launch",
          nodes.get(2).login("user1", "user-password-1"), null);
      assertThat(before.status()).as(before.body()).isEqualTo(200);
      String ticket = before.json().getString("ticket");

      // WHEN node-3 is cut off from nodes 1 and 2 in both directions, all three running
      long cutAt = System.nanoTime();
      firewall.isolate(HOSTS[2]);
      long[] noticed = noticeTimes(cutAt, nodes.get(2), 1, nodes.get(0), 2, "split");
      System.out.printf("split brain: node-3 (minority) noticed in %d ms, node-1 (majority) in %d ms%n", noticed[0],
          noticed[1]);

      // THEN node-3 places nothing and its copy of the ticket opens no stream
      Response minority = nodes.get(2).post("/api/v1/resources/app/launch", nodes.get(2).login("user2",
          "user-password-2"), null);
      assertThat(minority.status()).as(minority.body()).isEqualTo(503);
      assertThat(minority.json().getString("detail")).contains("cluster.min-members");
      assertThat(presentTicket(2, gatewayPorts, ticket)).startsWith("ERR 503");
      // AND on the majority the ticket opens once, and only once
      assertThat(presentTicket(0, gatewayPorts, ticket)).startsWith("OK ");
      assertThat(presentTicket(1, gatewayPorts, ticket)).startsWith("ERR ");
      assertThat(presentTicket(2, gatewayPorts, ticket)).startsWith("ERR ");

      // WHEN the other users launch at once through nodes 1 and 2 (node-3 keeps refusing)
      Map<Integer, Integer> statuses = launchAtOnce(nodes, List.of(0, 1), 2, USERS);
      // THEN the host fills to its capacity and no further
      assertThat(statuses).as("launch statuses").isEqualTo(Map.of(200, CAPACITY - 1, 409, USERS - CAPACITY));
      assertThat(sessionsOnHost(nodes.get(0))).isEqualTo(CAPACITY);
      assertThat(nodes.get(2).post("/api/v1/resources/app/launch", nodes.get(2).login("user" + PROBE,
          "user-password-" + PROBE),
          null).status()).isEqualTo(503);

      // WHEN the cut heals
      long healAt = System.nanoTime();
      firewall.heal();
      long[] merged = noticeTimes(healAt, nodes.get(2), 3, nodes.get(0), 3, "merge");
      System.out.printf("split brain healed: node-3 merged back in %d ms, node-1 saw 3 members in %d ms%n",
          merged[0], merged[1]);

      // THEN every node sees the whole cluster, the host is still full and not over-filled, and the ticket stays used
      for (int n = 0; n < nodes.size(); n++) {
        SiteClient node = nodes.get(n);
        List<String> answers = new ArrayList<>();
        long since = System.nanoTime();
        try {
          Poll.until("a merged node brokers again", Duration.ofSeconds(60), () -> {
            Response probe = node.post("/api/v1/resources/app/launch", node.login("user" + PROBE, "user-password-"
                + PROBE), null);
            answers.add(probe.status() + " " + probe.body());
            return probe.status() == 409;
          });
        } catch (AssertionError e) {
          throw new AssertionError("node-" + (n + 1) + " after the merge answered " + answers.stream().distinct()
              .toList(), e);
        }
        System.out.printf("split brain healed: node-%d brokers (host full) %d ms later%n", n + 1,
            (System.nanoTime() - since) / 1_000_000);
        assertThat(members(node)).isEqualTo(3);
      }
      assertThat(sessionsOnHost(nodes.get(0))).isEqualTo(CAPACITY);
      for (int n = 0; n < 3; n++) {
        assertThat(presentTicket(n, gatewayPorts, ticket)).as("ticket on node-" + (n + 1)).startsWith("ERR ");
      }
    } finally {
      firewall.heal();
    }
  }

  /**
   * Waits until {@code first} sees {@code firstCount} members and {@code second} sees {@code secondCount}; returns
   * the milliseconds from {@code since} to each.
   */
  private static long[] noticeTimes(long since, SiteClient first, int firstCount, SiteClient second, int secondCount,
      String what) throws InterruptedException {
    long[] at = {-1, -1};
    Poll.until(what + " noticed by both sides", Duration.ofSeconds(90), () -> {
      if (at[0] < 0 && members(first) == firstCount) {
        at[0] = (System.nanoTime() - since) / 1_000_000;
      }
      if (at[1] < 0 && members(second) == secondCount) {
        at[1] = (System.nanoTime() - since) / 1_000_000;
      }
      return at[0] >= 0 && at[1] >= 0;
    });
    return at;
  }

  /** Users 2..{@code users} launch in parallel, round-robin through the given nodes; counts the statuses. */
  private static Map<Integer, Integer> launchAtOnce(List<SiteClient> nodes, List<Integer> through, int firstUser,
      int users) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(users);
    try {
      List<Future<Integer>> launches = new ArrayList<>();
      for (int u = firstUser; u <= users; u++) {
        SiteClient node = nodes.get(through.get(u % through.size()));
        String token = node.login("user" + u, "user-password-" + u);
        launches.add(pool.submit(() -> node.post("/api/v1/resources/app/launch", token, null).status()));
      }
      Map<Integer, Integer> statuses = new java.util.TreeMap<>();
      for (Future<Integer> launch : launches) {
        statuses.merge(launch.get(), 1, Integer::sum);
      }
      return statuses;
    } finally {
      pool.shutdownNow();
    }
  }

  private static int sessionsOnHost(SiteClient node) {
    JsonObject host = node.get("/admin/api/v1/hosts", node.login("admin", ADMIN_PASSWORD)).json()
        .getJsonArray("items").getJsonObject(0);
    assertThat(host.getInteger("sessions")).as(host.encode()).isLessThanOrEqualTo(host.getInteger("maxSessions"));
    return host.getInteger("sessions");
  }

  private static int members(SiteClient node) {
    Response nodes = node.get("/admin/api/v1/nodes", node.login("admin", ADMIN_PASSWORD));
    return nodes.status() == 200 ? nodes.json().getJsonArray("items").size() : -1;
  }

  /** Presents a ticket on node {@code node + 1}'s raw gateway; returns its answer line. */
  private String presentTicket(int node, List<Integer> gatewayPorts, String ticket) throws Exception {
    return HubSite.presentTicket(tmp.resolve("node-" + (node + 1) + "/tls/ca.crt"), gatewayPorts.get(node),
        ticket);
  }
}
