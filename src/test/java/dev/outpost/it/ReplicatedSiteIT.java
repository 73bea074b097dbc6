package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Three all-in-one appliances (separate processes) that share {@code cluster.secret} WITHOUT {@code --db-url} are
 * one site with one logical database: the first node's embedded PostgreSQL is the primary, the others clone it and
 * stream as hot standbys, and every node's pool writes to the primary. A user made at node 1 signs in at node 3;
 * under steady admin writes the holder of the site's authority is killed (its JVM and its PostgreSQL, as when its VM
 * dies): a survivor promotes its standby and takes the authority, writes are accepted again, no acknowledged write is
 * lost, and the killed node restarts as a standby that holds the writes it missed.
 */
class ReplicatedSiteIT {

  private static final Duration START = Duration.ofMinutes(4);
  private static final String ADMIN_PASSWORD = "site-admin-password-1";
  private static final String SECRET = "replicated-site-cluster-secret-0123456789";
  private static final String HOLDS = "now holds the site's authority";

  @TempDir
  Path tmp;

  private final List<SiteClient> nodes = new ArrayList<>();
  private final List<Integer> clusterPorts = new ArrayList<>();
  private final List<Integer> httpsPorts = new ArrayList<>();
  private final List<Integer> peerPorts = new ArrayList<>();

  @Test
  void threeNodesWithoutAnExternalDatabaseAreOneSiteAndLoseNoAcknowledgedWriteWhenTheHolderIsKilled()
      throws Exception {
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    try (Processes processes = new Processes(tmp)) {
      Map<String, String> env = Map.of("OUTPOST_CLUSTER_SECRET", SECRET, "OUTPOST_CLUSTER_MIN_MEMBERS", "2",
          "OUTPOST_CLUSTER_NAME", "replicated-site-" + System.nanoTime(), "OUTPOST_HTTP_PUBLIC_NAMES", "localhost");

      // GIVEN three appliances on their embedded databases with one cluster secret; node 2 and 3 join node 1
      List<OutpostProcess> appliances = new ArrayList<>();
      for (int n = 1; n <= 3; n++) {
        appliances.add(startNode(processes, env, n, passwordFile, n == 1 ? null : clusterPorts.get(0)));
      }
      // THEN node 1 runs the primary and holds the authority, the others run standbys cloned from it
      Poll.until("node-1 holds the site's authority", START, () -> log(appliances.get(0)).contains(HOLDS));
      assertThat(log(appliances.get(0))).contains("runs as the primary");
      assertThat(log(appliances.get(1))).contains("runs as a standby").contains("was cloned from node");
      assertThat(log(appliances.get(2))).contains("runs as a standby").doesNotContain(HOLDS);

      // WHEN an admin makes a user at node 1
      String admin1 = nodes.get(0).login("admin", ADMIN_PASSWORD);
      created(nodes.get(0).post("/admin/api/v1/users", admin1,
          "{\"username\":\"alice\",\"password\":\"alice-password-1\"}"));
      // THEN she signs in at node 3 within 2 s
      long made = System.nanoTime();
      Poll.until("alice signs in at node-3", Duration.ofSeconds(2), () -> signsIn(nodes.get(2), "alice",
          "alice-password-1"));
      System.out.printf("replicated-site: user made at node-1 signs in at node-3 after %d ms%n",
          (System.nanoTime() - made) / 1_000_000);

      // WHEN admins write steadily at node 2 and node 3 (every 201 counted) and the holder is killed meanwhile
      List<String> admins = List.of(nodes.get(1).login("admin", ADMIN_PASSWORD),
          nodes.get(2).login("admin", ADMIN_PASSWORD));
      List<String> acknowledged = new CopyOnWriteArrayList<>();
      List<Long> acknowledgedAt = new CopyOnWriteArrayList<>();
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger attempts = new AtomicInteger();
      Thread writer = new Thread(() -> {
        for (int i = 0; writing.get(); i++) {
          int at = i % 2;
          String name = "w" + i;
          attempts.incrementAndGet();
          try {
            Response r = nodes.get(1 + at).post("/admin/api/v1/users", admins.get(at),
                "{\"username\":\"" + name + "\",\"password\":\"" + name + "-password-1\"}");
            if (r.status() == 201) {
              acknowledged.add(name);
              acknowledgedAt.add(System.nanoTime());
            }
          } catch (RuntimeException e) {
            // refused or cut off during the takeover: not acknowledged, so it may or may not be there
          }
        }
      }, "replicated-site-writer");
      writer.start();
      Poll.until("ten writes acknowledged before the kill", Duration.ofSeconds(60), () -> acknowledged.size() >= 10);
      int beforeKill = acknowledged.size();
      long kill = System.nanoTime();
      killWithDatabase(appliances.get(0));

      // THEN a survivor promotes its standby and takes the authority, and writes are accepted again
      Poll.until("a surviving node holds the site's authority", Duration.ofSeconds(60),
          () -> log(appliances.get(1)).contains(HOLDS) || log(appliances.get(2)).contains(HOLDS));
      long takeover = (System.nanoTime() - kill) / 1_000_000;
      Poll.until("writes acknowledged again after the kill", Duration.ofSeconds(60),
          () -> acknowledgedAt.stream().anyMatch(t -> t > kill + Duration.ofMillis(takeover).toNanos()));
      long firstAfter = acknowledgedAt.stream().filter(t -> t > kill).min(Long::compare).orElseThrow();
      int afterTakeover = acknowledged.size();
      Poll.until("ten more writes acknowledged", Duration.ofSeconds(60),
          () -> acknowledged.size() >= afterTakeover + 10);
      writing.set(false);
      writer.join(60_000);
      System.out.printf("replicated-site: after SIGKILL of the holder: takeover %d ms, first write acknowledged "
          + "%d ms after the kill, longest write gap %d ms; %d of %d writes acknowledged (%d before the kill)%n",
          takeover, (firstAfter - kill) / 1_000_000, longestGap(acknowledgedAt) / 1_000_000, acknowledged.size(),
          attempts.get(), beforeKill);

      // AND every acknowledged write is there, whichever node is asked
      OutpostProcess holder = log(appliances.get(1)).contains(HOLDS) ? appliances.get(1) : appliances.get(2);
      assertThat(log(holder)).contains("was promoted to primary");
      Set<String> listed = usernames(nodes.get(2), admins.get(1));
      List<String> lost = acknowledged.stream().filter(name -> !listed.contains(name)).toList();
      System.out.printf("replicated-site: acknowledged writes lost: %d %s%n", lost.size(), lost);
      assertThat(lost).isEmpty();

      // WHEN the killed node starts again on its data dir, joining a survivor
      OutpostProcess again = startNode(processes, env, 1, passwordFile, clusterPorts.get(1));
      // THEN it rejoins as a standby, does not take the authority, and its own database holds what it missed
      assertThat(log(again)).contains("runs as a standby").doesNotContain(HOLDS);
      String last = acknowledged.get(acknowledged.size() - 1);
      Poll.until("node-1's standby replayed the writes it missed", Duration.ofSeconds(60),
          () -> localUsers(1).containsAll(acknowledged));
      assertThat(signsIn(nodes.get(0), last, last + "-password-1")).isTrue();
    }
  }

  /** Starts node {@code n} (1-based), joining {@code joinPort} unless it is null; its client replaces any older. */
  private OutpostProcess startNode(Processes processes, Map<String, String> env, int n, Path passwordFile,
      Integer joinPort) {
    int index = n - 1;
    boolean first = clusterPorts.size() <= index;
    if (first) {
      clusterPorts.add(FreePorts.next());
      httpsPorts.add(FreePorts.next());
      peerPorts.add(FreePorts.next());
    }
    List<String> args = new ArrayList<>(List.of("appliance", "--data-dir", tmp.resolve("node-" + n).toString(),
        "--https-port", httpsPorts.get(index).toString(), "--cluster-bus-port", Integer.toString(FreePorts.next()),
        "--cluster-port", clusterPorts.get(index).toString(), "--cluster-host", "127.0.0.1",
        "--db-peer-port", peerPorts.get(index).toString(),
        "--gateway-port", Integer.toString(FreePorts.next()), "--admin-password-file", passwordFile.toString()));
    if (joinPort != null) {
      args.addAll(List.of("--join", "127.0.0.1:" + joinPort));
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

  /** The longest time between two consecutive acknowledgements, in nanoseconds. */
  private static long longestGap(List<Long> times) {
    long longest = 0;
    for (int i = 1; i < times.size(); i++) {
      longest = Math.max(longest, times.get(i) - times.get(i - 1));
    }
    return longest;
  }

  /** SIGKILL of the node's JVM and of its PostgreSQL: the whole VM is gone. */
  private static void killWithDatabase(OutpostProcess node) {
    List<ProcessHandle> database = ProcessHandle.of(node.pid()).map(p -> p.descendants().toList())
        .orElse(List.of());
    node.kill();
    database.forEach(ProcessHandle::destroyForcibly);
  }

  /** The user names in node {@code n}'s own embedded database (a standby: what it replayed). */
  private Set<String> localUsers(int n) {
    Set<String> names = new HashSet<>();
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {peerPorts.get(n - 1)});
    source.setDatabaseName("outpost");
    source.setUser("postgres");
    try {
      source.setPassword(Files.readString(tmp.resolve("node-" + n + "/db/password")).trim());
      try (Connection c = source.getConnection(); Statement s = c.createStatement();
          ResultSet rows = s.executeQuery("SELECT username FROM users")) {
        while (rows.next()) {
          names.add(rows.getString(1));
        }
      }
    } catch (Exception e) {
      return Set.of(); // not up yet
    }
    return names;
  }

  private static Set<String> usernames(SiteClient node, String admin) {
    Response list = node.get("/admin/api/v1/users", admin);
    assertThat(list.status()).as(list.body()).isEqualTo(200);
    Set<String> names = new HashSet<>();
    list.json().getJsonArray("items").forEach(o -> names.add(((JsonObject) o).getString("username")));
    return names;
  }

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

  private static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }
}
