package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three all-in-one appliances (separate processes) that share {@code cluster.secret} and one external PostgreSQL
 * ({@code --db-url}) are ONE site: a user made at node 1 signs in at node 3, a pool made at node 2 is listed at
 * node 1, a host linked at node 2 is launched through node 3 and its ticket opens a stream there. The site's
 * authority (its hub role) runs on the oldest node; when that node is killed with SIGKILL another takes it over,
 * admin writes and launches go on, and the killed node comes back as a follower that sees what was written
 * without it.
 */
class OneSiteIT {

  private static final Duration START = Duration.ofMinutes(3);
  private static final String ADMIN_PASSWORD = "site-admin-password-1";
  private static final String SECRET = "one-site-cluster-secret-0123456789";
  private static final String HOLDS = "now holds the site's authority";

  @TempDir
  Path tmp;

  private final List<SiteClient> nodes = new ArrayList<>();
  private final List<Integer> gatewayPorts = new ArrayList<>();
  private final List<Integer> clusterPorts = new ArrayList<>();
  private final List<Integer> httpsPorts = new ArrayList<>();
  /** Each node's cluster address: all on 127.0.0.1, or one loopback address each when a test cuts one off. */
  private String[] clusterHosts = {"127.0.0.1", "127.0.0.1", "127.0.0.1"};

  @Test
  void threeNodesOnOneDatabaseAreOneSiteAndTheAuthorityMovesWhenItsNodeIsKilled() throws Exception {
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    try (io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres = startDatabase();
        Processes processes = new Processes(tmp);
        ServerSocket service = new ServerSocket(0)) {
      Thread host = acceptAndAnswer(service);
      Map<String, String> env = siteOn(postgres, "one-site-");

      // GIVEN three appliances on one database with one cluster secret; node 2 and 3 join node 1
      List<OutpostProcess> appliances = new ArrayList<>();
      for (int n = 1; n <= 3; n++) {
        appliances.add(startNode(processes, env, n, passwordFile, n == 1 ? null : clusterPorts.get(0)));
      }
      String admin1 = nodes.get(0).login("admin", ADMIN_PASSWORD);
      String admin2 = nodes.get(1).login("admin", ADMIN_PASSWORD);
      String admin3 = nodes.get(2).login("admin", ADMIN_PASSWORD);
      // THEN the oldest node holds the site's authority, and only it
      Poll.until("node-1 holds the site's authority", START, () -> log(appliances.get(0)).contains(HOLDS));
      assertThat(log(appliances.get(1)) + log(appliances.get(2))).doesNotContain(HOLDS);

      // WHEN an admin makes a user at node 1
      created(nodes.get(0).post("/admin/api/v1/users", admin1,
          "{\"username\":\"alice\",\"password\":\"alice-password-1\"}"));
      // THEN she signs in at node 3 within 2 s
      long made = System.nanoTime();
      Poll.until("alice signs in at node-3", Duration.ofSeconds(2), () -> signsIn(nodes.get(2), "alice",
          "alice-password-1"));
      System.out.printf("one-site: user made at node-1 signs in at node-3 after %d ms%n",
          (System.nanoTime() - made) / 1_000_000);

      // WHEN an admin publishes a pool, a resource and an entitlement at node 2
      int port = service.getLocalPort();
      created(nodes.get(1).post("/admin/api/v1/pools", admin2, "{\"name\":\"linux\",\"maxSessionsPerHost\":10}"));
      created(nodes.get(1).post("/admin/api/v1/resources", admin2,
          "{\"name\":\"app\",\"pool\":\"linux\",\"kind\":\"app\",\"port\":" + port + "}"));
      created(nodes.get(1).post("/admin/api/v1/groups", admin2, "{\"name\":\"staff\"}"));
      created(nodes.get(1).post("/admin/api/v1/entitlements", admin2, "{\"resource\":\"app\",\"group\":\"staff\"}"));
      for (String user : List.of("bob", "carol")) {
        created(nodes.get(1).post("/admin/api/v1/users", admin2,
            "{\"username\":\"" + user + "\",\"password\":\"" + user + "-password-1\"}"));
      }
      assertThat(nodes.get(1).put("/admin/api/v1/groups/staff", admin2, new JsonObject().put("members",
          new JsonArray().add("alice").add("bob").add("carol")).encode()).status()).isEqualTo(200);
      // THEN node 1 lists the pool
      assertThat(names(nodes.get(0).get("/admin/api/v1/pools", admin1))).contains("linux");

      // WHEN a host's agent enrolls and links through node 2
      String token = created(nodes.get(1).post("/admin/api/v1/enroll-tokens", admin2, "{\"pool\":\"linux\"}"))
          .getString("token");
      processes.start(Map.of(), "agent", "--appliance", "https://localhost:" + httpsPorts.get(1), "--token", token,
          "--address", "127.0.0.1", "--name", "host-1", "--data-dir", tmp.resolve("agent").toString());
      // THEN node 3 lists it with its service up
      Poll.until("host-1 up at node-3", START, () -> serviceUp(nodes.get(2), admin3, port));

      // AND a user launches it through node 3, whose gateway opens the stream
      String alice = nodes.get(2).login("alice", "alice-password-1");
      Response launch = Poll.value("alice launches at node-3", Duration.ofSeconds(30),
          () -> nodes.get(2).post("/api/v1/resources/app/launch", alice, null), r -> r.status() == 200);
      assertThat(launch.json().getJsonObject("session").getString("host")).isEqualTo("host-1");
      assertThat(HubSite.presentTicket(tmp.resolve("node-3/tls/ca.crt"), gatewayPorts.get(2),
          launch.json().getString("ticket"))).startsWith("OK ");

      // WHEN the node that holds the authority is killed
      String bob = nodes.get(1).login("bob", "bob-password-1");
      long kill = System.nanoTime();
      appliances.get(0).kill();

      // THEN another node takes the authority over
      Poll.until("a surviving node holds the site's authority", Duration.ofSeconds(30),
          () -> log(appliances.get(1)).contains(HOLDS) || log(appliances.get(2)).contains(HOLDS));
      long takeover = (System.nanoTime() - kill) / 1_000_000;
      // AND admin writes are accepted at the survivors
      Response write = Poll.value("a write at node-2", Duration.ofSeconds(30), () -> nodes.get(1).post(
          "/admin/api/v1/users", admin2, "{\"username\":\"dave\",\"password\":\"dave-password-1\"}"),
          r -> r.status() == 201);
      long writeGap = (System.nanoTime() - kill) / 1_000_000;
      assertThat(write.status()).isEqualTo(201);
      // AND launches go on through the survivors
      Response afterKill = Poll.value("bob launches at node-3 after the kill", Duration.ofSeconds(60),
          () -> nodes.get(2).post("/api/v1/resources/app/launch", bob, null), r -> r.status() == 200);
      long launchGap = (System.nanoTime() - kill) / 1_000_000;
      assertThat(afterKill.json().getJsonObject("session").getString("host")).isEqualTo("host-1");
      System.out.printf("one-site: after SIGKILL of the authority's node: takeover %d ms, first write %d ms, first "
          + "launch %d ms%n", takeover, writeGap, launchGap);

      // WHEN the killed node starts again on its data dir, joining a survivor
      OutpostProcess again = startNode(processes, env, 1, passwordFile, clusterPorts.get(1));
      // THEN it follows, and sees what was written while it was gone
      assertThat(signsIn(nodes.get(0), "dave", "dave-password-1")).isTrue();
      assertThat(log(again)).doesNotContain(HOLDS);
      String carol = nodes.get(0).login("carol", "carol-password-1");
      Response throughRestarted = Poll.value("carol launches at the restarted node-1", Duration.ofSeconds(30),
          () -> nodes.get(0).post("/api/v1/resources/app/launch", carol, null), r -> r.status() == 200);
      assertThat(throughRestarted.json().getJsonObject("session").getString("host")).isEqualTo("host-1");
      host.interrupt();
    }
  }

  /** Starts node {@code n} (1-based), joining {@code joinPort} unless it is null; its client replaces any older. */
  private OutpostProcess startNode(Processes processes, Map<String, String> env, int n, Path passwordFile,
      Integer joinPort) {
    return startNode(processes, env, n, passwordFile, joinPort, "127.0.0.1");
  }

  private OutpostProcess startNode(Processes processes, Map<String, String> env, int n, Path passwordFile,
      Integer joinPort, String joinHost) {
    int index = n - 1;
    boolean first = clusterPorts.size() <= index;
    if (first) {
      clusterPorts.add(FreePorts.next());
      httpsPorts.add(FreePorts.next());
      gatewayPorts.add(FreePorts.next());
    }
    List<String> args = new ArrayList<>(List.of("appliance", "--data-dir", tmp.resolve("node-" + n).toString(),
        "--https-port", httpsPorts.get(index).toString(), "--cluster-bus-port", Integer.toString(FreePorts.next()),
        "--cluster-port", clusterPorts.get(index).toString(), "--cluster-host", clusterHosts[index],
        "--gateway-port", gatewayPorts.get(index).toString(), "--admin-password-file", passwordFile.toString()));
    if (joinPort != null) {
      args.addAll(List.of("--join", joinHost + ":" + joinPort));
    }
    OutpostProcess node = processes.start(env, args.toArray(String[]::new));
    node.awaitStdout("ready: https://localhost:" + httpsPorts.get(index), START);
    SiteClient client = new SiteClient(tmp.resolve("node-" + n + "/tls/ca.crt"), httpsPorts.get(index));
    if (first) {
      nodes.add(client);
    } else {
      nodes.set(index, client);
    }
    return node;
  }

  @Test
  void aNodeCutOffFromTheOthersRefusesWritesAndTheMajorityTakesTheAuthority() throws Exception {
    String tag = "outpost-onesite-";
    Firewall.removeLeftovers(tag);
    Firewall firewall = new Firewall(tag + ProcessHandle.current().pid() + "-" + System.nanoTime());
    clusterHosts = new String[] {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    try (io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres = startDatabase();
        Processes processes = new Processes(tmp)) {
      Map<String, String> env = siteOn(postgres, "one-site-split-");
      // GIVEN three nodes on one database, each with a cluster address of its own; node 1 holds the authority
      List<OutpostProcess> appliances = new ArrayList<>();
      for (int n = 1; n <= 3; n++) {
        appliances.add(startNode(processes, env, n, passwordFile, n == 1 ? null : clusterPorts.get(0),
            clusterHosts[0]));
      }
      Poll.until("node-1 holds the site's authority", START, () -> log(appliances.get(0)).contains(HOLDS));
      String admin1 = nodes.get(0).login("admin", ADMIN_PASSWORD);
      String admin2 = nodes.get(1).login("admin", ADMIN_PASSWORD);

      try {
        // WHEN the network cuts node 1 off from the other two (it still reaches the database)
        firewall.isolate(clusterHosts[0]);
        // THEN it gives the authority up, and one of the majority takes it
        Poll.until("node-1 gives the authority up", Duration.ofSeconds(30),
            () -> log(appliances.get(0)).contains("gives up the site's authority"));
        Poll.until("the majority holds the authority", Duration.ofSeconds(30),
            () -> log(appliances.get(1)).contains(HOLDS) || log(appliances.get(2)).contains(HOLDS));
        // AND the cut-off node refuses a configuration change, naming cluster.min-members
        Response refused = nodes.get(0).post("/admin/api/v1/users", admin1,
            "{\"username\":\"minority\",\"password\":\"minority-password-1\"}");
        assertThat(refused.status()).as(refused.body()).isEqualTo(503);
        assertThat(refused.json().getString("detail")).contains("cluster.min-members");
        // AND the majority accepts one
        created(nodes.get(1).post("/admin/api/v1/users", admin2,
            "{\"username\":\"majority\",\"password\":\"majority-password-1\"}"));
      } finally {
        firewall.heal();
      }

      // WHEN the cut heals
      // THEN node 1 is a member again that accepts changes, sees the majority's, and does not take the authority back
      Response after = Poll.value("node-1 accepts a change after the heal", Duration.ofSeconds(60),
          () -> nodes.get(0).post("/admin/api/v1/users", admin1,
              "{\"username\":\"healed\",\"password\":\"healed-password-1\"}"), r -> r.status() == 201);
      assertThat(after.status()).isEqualTo(201);
      assertThat(signsIn(nodes.get(0), "majority", "majority-password-1")).isTrue();
      assertThat(signsIn(nodes.get(1), "minority", "minority-password-1")).isFalse();
      assertThat(log(appliances.get(0)).split(java.util.regex.Pattern.quote(HOLDS), -1)).hasSize(2);
    }
  }

  /** The customer's PostgreSQL of {@code --db-url}: a server of the test's own, in its temp dir. */
  private io.zonky.test.db.postgres.embedded.EmbeddedPostgres startDatabase() throws java.io.IOException {
    return io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(tmp.resolve("external-pg")).setCleanDataDirectory(true)
        .setOverrideWorkingDirectory(tmp.resolve("external-pg-run").toFile()).start();
  }

  /** The settings every node of the site gets: one secret, a majority of 2, and a new database on the server. */
  private static Map<String, String> siteOn(io.zonky.test.db.postgres.embedded.EmbeddedPostgres postgres,
      String cluster) throws java.sql.SQLException {
    try (Connection conn = postgres.getPostgresDatabase().getConnection()) {
      conn.createStatement().execute("CREATE DATABASE site");
    }
    return new HashMap<>(Map.of("OUTPOST_CLUSTER_SECRET", SECRET, "OUTPOST_CLUSTER_MIN_MEMBERS", "2",
        "OUTPOST_CLUSTER_NAME", cluster + System.nanoTime(), "OUTPOST_HTTP_PUBLIC_NAMES", "localhost",
        "OUTPOST_DB_URL", "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/site"));
  }

  /** What a node printed: its console and its log. */
  private static String log(OutpostProcess node) {
    return node.stdout() + node.stderr();
  }

  private static boolean signsIn(SiteClient node, String user, String password) {
    try {
      return !node.login(user, password).isEmpty();
    } catch (AssertionError | RuntimeException e) {
      return false;
    }
  }

  private static boolean serviceUp(SiteClient node, String admin, int port) {
    JsonArray hosts = node.get("/admin/api/v1/hosts", admin).json().getJsonArray("items");
    return hosts.size() == 1 && Boolean.TRUE.equals(hosts.getJsonObject(0).getJsonObject("services")
        .getBoolean(Integer.toString(port)));
  }

  private static List<String> names(Response list) {
    return list.json().getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("name")).toList();
  }

  private static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  /** The published service: accepts streams and keeps them until the peer closes. */
  private static Thread acceptAndAnswer(ServerSocket service) {
    Thread thread = new Thread(() -> {
      while (!service.isClosed()) {
        try {
          service.accept();
        } catch (java.io.IOException e) {
          return;
        }
      }
    }, "one-site-service");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }
}
