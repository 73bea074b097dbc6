package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A rolling upgrade of a three-node location under a steady launch load, as real processes with a separate hub:
 * each node in turn is drained with {@code outpost appliance drain-node} and started again as the next version
 * (the {@code outpost.testing.version} testing aid: a newer version string, the next minor schema version and a field
 * the older nodes do not know on its wire and cluster messages). Users launch and log off in a loop through the nodes
 * whose {@code /health/ready} answers 200, as a load balancer would send them; none of their requests may fail, and
 * the host stays registered while its agent moves from node to node.
 */
class RollingUpgradeIT {

  private static final Logger LOG = LoggerFactory.getLogger(RollingUpgradeIT.class);
  private static final Duration START = Duration.ofMinutes(3);
  private static final String ADMIN_PASSWORD = "hub-admin-password-1";
  private static final String SECRET = "rolling-upgrade-cluster-secret-0123456789";
  private static final String NEXT_VERSION = "99.0.0-rolling-test";
  private static final int NODES = 3;
  private static final int USERS = 3;
  /** Each user's pause between a log-off and the next launch, so that the load leaves the nodes CPU to restart. */
  private static final long THINK_MS = 200;

  @TempDir
  Path tmp;

  /** Every process the test starts (hub, nodes, agent, drain-node commands): the test's try stops them all. */
  private Processes processes;

  @Test
  void everyNodeIsDrainedAndUpgradedInTurnWithoutAFailedLaunch() throws Exception {
    try (Processes all = new Processes(tmp); ServerSocket service = new ServerSocket(0)) {
      processes = all;
      int hubPort = FreePorts.next();
      HubSite.startHub(tmp, Map.of(), hubPort, ADMIN_PASSWORD, processes::start);
      SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
      String admin = hubApi.login("admin", ADMIN_PASSWORD);

      // GIVEN a location with one host for many sessions, and users entitled to an app on it
      String connector = HubSite.publish(hubApi, admin, 50, service.getLocalPort(), USERS);

      // AND three appliances of the location in one cluster; nodes 2 and 3 adopt the first one's site CA
      Cluster cluster = new Cluster(connector, hubPort);
      cluster.start(0, Map.of());
      for (int n = 1; n < NODES; n++) {
        cluster.launch(n, Map.of());
      }
      for (int n = 1; n < NODES; n++) {
        cluster.awaitReady(n);
      }
      SiteClient first = cluster.client(0);
      Poll.until("three members", START, () -> members(first).size() == NODES);

      // AND a host whose agent is enrolled through the first node and learns the others from it
      String token = hubApi.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"linux\"}").created()
          .getString("token");
      OutpostProcess agent = processes.start(Map.of(), "agent", "--appliance", cluster.url(0), "--token", token,
          "--address", "127.0.0.1", "--name", "host-1", "--data-dir", tmp.resolve("agent").toString());
      agent.awaitStdout("Linked to", START);
      Poll.until("the hub sees the host", Duration.ofSeconds(60), () -> hostState(hubApi, admin).equals("registered"));

      // AND users launching and logging off in a loop through the nodes a load balancer finds ready
      Watch hosts = new Watch(() -> hostState(hubApi, admin));
      LaunchLoad load = new LaunchLoad(cluster);
      List<Integer> handedOff = new ArrayList<>();
      try {
        Poll.until("the load runs", Duration.ofSeconds(60), () -> load.launches() >= 5);

        // WHEN each node in turn is drained and started again as the next version
        for (int n = 0; n < NODES; n++) {
          int before = load.launches();
          long started = System.nanoTime();
          OutpostProcess.Result drained = OutpostProcess.run(tmp, "appliance", "drain-node", "--data-dir",
              cluster.dataDir(n).toString(), "--grace", "3s", "--timeout", "30s");
          long drainMs = (System.nanoTime() - started) / 1_000_000;
          assertThat(drained.exitCode()).as(drained.stdout() + drained.stderr()).isZero();
          assertThat(drained.stdout()).contains("readiness is down").contains("drained and stopped");
          handedOff.add(agentsHandedOff(drained.stdout()));
          assertThat(cluster.process(n).awaitExit(Duration.ofSeconds(30))).isZero();
          LOG.info("node-{} drained and stopped in {} ms ({} launches meanwhile):\n{}", n + 1, drainMs,
              load.launches() - before, drained.stdout());
          System.err.printf("RollingUpgradeIT: node-%d drain-node took %d ms%n", n + 1, drainMs);

          cluster.start(n, Map.of("JAVA_TOOL_OPTIONS", "-Doutpost.testing.version=" + NEXT_VERSION));
          SiteClient restarted = cluster.client(n);
          Poll.until("node-" + (n + 1) + " is a member again", START, () -> members(restarted).size() == NODES);
          Poll.until("node-" + (n + 1) + " is ready", START, () -> ready(restarted));
          int after = load.launches();
          Poll.until("launches go on", Duration.ofSeconds(60), () -> load.launches() > after + 3);
        }
      } finally {
        load.close();
        hosts.close();
      }

      // THEN no launch or log-off failed, and the host stayed registered while its agent moved from node to node:
      // the first node handed it off, and every later node that had it then (which depends on the order the agent
      // picks its next node in) did too
      LOG.info("{} launches during the rolling upgrade; the host was {}; agents handed off per drain {}",
          load.launches(), hosts.seen(), handedOff);
      assertThat(load.failures()).isEmpty();
      assertThat(hosts.seen()).containsExactly("registered");
      assertThat(handedOff.get(0)).isEqualTo(1);
      assertThat(agent.stdout().lines().filter(l -> l.contains("hands this host off")).count()).as(agent.stdout())
          .isEqualTo(handedOff.stream().mapToInt(Integer::intValue).sum());

      // AND every member announces the next version
      assertThat(members(cluster.client(0))).extracting(m -> m.getString("version"))
          .containsExactly(NEXT_VERSION, NEXT_VERSION, NEXT_VERSION);

      // AND the hub and every node count the same sessions
      int atHub = hubApi.get("/admin/api/v1/sessions", admin).json().getJsonArray("items").size();
      for (int n = 0; n < NODES; n++) {
        SiteClient node = cluster.client(n);
        Response sessions = node.get("/admin/api/v1/sessions", node.login("admin", ADMIN_PASSWORD));
        assertThat(sessions.json().getJsonArray("items").size()).as("sessions at node-" + (n + 1) + " and at the hub")
            .isEqualTo(atHub);
      }
    }
  }

  // ---- the cluster under test ----

  /** The three appliances: their ports, data dirs, processes and clients. */
  private final class Cluster {
    private final String connector;
    private final int hubPort;
    private final String clusterName = "it-" + System.nanoTime();
    private final int[] https = new int[NODES];
    private final int[] clusterPorts = new int[NODES];
    private final int[] gateways = new int[NODES];
    private final OutpostProcess[] running = new OutpostProcess[NODES];

    Cluster(String connector, int hubPort) {
      this.connector = connector;
      this.hubPort = hubPort;
      for (int n = 0; n < NODES; n++) {
        https[n] = FreePorts.next();
        clusterPorts[n] = FreePorts.next();
        gateways[n] = FreePorts.next();
      }
    }

    void start(int n, Map<String, String> extraEnv) {
      launch(n, extraEnv);
      awaitReady(n);
    }

    void awaitReady(int n) {
      running[n].awaitStdout("ready: https://localhost:" + https[n], START);
    }

    void launch(int n, Map<String, String> extraEnv) {
      Map<String, String> env = new java.util.HashMap<>(Map.of("OUTPOST_HUB_TOKEN", connector,
          "OUTPOST_HUB_SYNC_INTERVAL", "1s", "OUTPOST_CLUSTER_NAME", clusterName, "OUTPOST_CLUSTER_MIN_MEMBERS", "2",
          "OUTPOST_CLUSTER_SECRET", SECRET, "OUTPOST_HTTP_PUBLIC_NAMES", "localhost"));
      env.putAll(extraEnv);
      String join = java.util.stream.IntStream.range(0, NODES).filter(i -> i != n)
          .mapToObj(i -> "127.0.0.1:" + clusterPorts[i]).collect(Collectors.joining(","));
      running[n] = processes.start(env, "appliance", "--data-dir", dataDir(n).toString(),
          "--https-port", Integer.toString(https[n]), "--cluster-bus-port", Integer.toString(FreePorts.next()),
          "--cluster-port", Integer.toString(clusterPorts[n]),
          "--gateway-port", Integer.toString(gateways[n]), "--hub", "https://localhost:" + hubPort,
          "--join", join);
    }

    Path dataDir(int n) {
      return tmp.resolve("node-" + (n + 1));
    }

    OutpostProcess process(int n) {
      return running[n];
    }

    SiteClient client(int n) {
      return new SiteClient(dataDir(0).resolve("tls/ca.crt"), https[n]);
    }

    String url(int n) {
      return "https://localhost:" + https[n];
    }
  }

  // ---- the load ----

  /**
   * Users launching the app and logging off in a loop, each request through a node that a load balancer, polling
   * {@code /health/ready}, last found ready. Every answer but 200 is a failure, kept with its node and body.
   */
  private static final class LaunchLoad {
    private final Cluster cluster;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicInteger launches = new AtomicInteger();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile List<Integer> ready = List.of();

    LaunchLoad(Cluster cluster) {
      this.cluster = cluster;
      threads.add(daemon("load-balancer", this::balance));
      for (int u = 1; u <= USERS; u++) {
        int user = u;
        threads.add(daemon("user" + u, () -> launchLoop(user)));
      }
    }

    int launches() {
      return launches.get();
    }

    private void balance() {
      while (!stopped.get()) {
        List<Integer> now = new ArrayList<>();
        for (int n = 0; n < NODES; n++) {
          if (ready(cluster.client(n))) {
            now.add(n);
          }
        }
        ready = List.copyOf(now);
        pause(200);
      }
    }

    private void launchLoop(int user) {
      String token = null;
      while (!stopped.get()) {
        Integer node = pick();
        if (node == null) {
          pause(100);
          continue;
        }
        SiteClient client = cluster.client(node);
        try {
          if (token == null) {
            token = client.login("user" + user, "user-password-" + user);
            continue;
          }
          Response launch = client.post("/api/v1/resources/app/launch", token, null);
          if (launch.status() != 200) {
            failures.add("launch by user" + user + " at node-" + (node + 1) + ": " + launch.status() + " "
                + launch.body());
            continue;
          }
          launches.incrementAndGet();
          String session = launch.json().getJsonObject("session").getString("id");
          Integer other = pick();
          SiteClient logoffAt = cluster.client(other == null ? node : other);
          Response logoff = logoffAt.post("/api/v1/sessions/" + session + "/logoff", token, null);
          if (logoff.status() != 200) {
            failures.add("logoff by user" + user + " at port " + logoffAt.port() + ": " + logoff.status() + " "
                + logoff.body());
          }
          pause(THINK_MS);
        } catch (RuntimeException e) {
          failures.add("request by user" + user + " at node-" + (node + 1) + ": " + e);
        }
      }
    }

    private Integer pick() {
      List<Integer> candidates = ready;
      return candidates.isEmpty() ? null : candidates.get(ThreadLocalRandom.current().nextInt(candidates.size()));
    }

    List<String> failures() {
      return List.copyOf(failures);
    }

    void close() throws InterruptedException {
      stopped.set(true);
      for (Thread thread : threads) {
        thread.join(Duration.ofSeconds(60).toMillis());
      }
    }
  }

  /** Samples a value every 100 ms in the background and keeps every distinct sample in order. */
  private static final class Watch {
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;

    Watch(java.util.function.Supplier<String> value) {
      thread = daemon("watch", () -> {
        while (!stopped.get()) {
          String now;
          try {
            now = value.get();
          } catch (RuntimeException e) {
            now = "error: " + e.getMessage();
          }
          if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(now)) {
            seen.add(now);
          }
          pause(100);
        }
      });
    }

    List<String> seen() {
      return List.copyOf(seen);
    }

    void close() throws InterruptedException {
      stopped.set(true);
      thread.join(Duration.ofSeconds(30).toMillis());
    }
  }

  // ---- helpers ----

  private static Thread daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  /** The agents a drain handed off, from drain-node's "Handed off N agent(s)" line. */
  private static int agentsHandedOff(String drainOutput) {
    Matcher handed = Pattern.compile("Handed off (\\d+) agent").matcher(drainOutput);
    assertThat(handed.find()).as(drainOutput).isTrue();
    return Integer.parseInt(handed.group(1));
  }

  private static String hostState(SiteClient hub, String admin) {
    Response hosts = hub.get("/admin/api/v1/hosts", admin);
    if (hosts.status() != 200) {
      return "hosts: " + hosts.status();
    }
    return hosts.json().getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(h -> "host-1".equals(h.getString("name"))).map(h -> h.getString("state")).findFirst()
        .orElse("absent");
  }

  private static List<JsonObject> members(SiteClient node) {
    Response nodes = node.get("/admin/api/v1/nodes", node.login("admin", ADMIN_PASSWORD));
    return nodes.json().getJsonArray("items").stream().map(JsonObject.class::cast).toList();
  }

  private static boolean ready(SiteClient node) {
    try {
      return node.get("/health/ready", null).status() == 200;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The polling interval of the background samplers; each has its own stop condition. */
  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
