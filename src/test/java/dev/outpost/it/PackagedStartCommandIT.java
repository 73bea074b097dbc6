package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.db.EmbeddedPostgres;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.PackagingFiles;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The start commands of the packaging files, run as they are written: the image's ENTRYPOINT + CMD (which the
 * systemd unit shares) with the image's health check, and the hub, node1 and node2 services of the two-node
 * Compose site with an external PostgreSQL. Only what a container or VM provides is swapped: the JVM, the
 * jar's and the data dir's paths, free ports on this machine, and 127.0.0.1 for the containers' addresses.
 */
class PackagedStartCommandIT {

  private static final Duration START = Duration.ofMinutes(3);
  private static final String DATA = "/var/lib/outpost";
  private static final String JAR = "/opt/outpost/outpost.jar";
  private static final String CLUSTER_SECRET = "compose-cluster-secret-0123456789abcdef";

  @TempDir
  Path tmp;

  @Test
  void theImageAndUnitStartCommandServesANodeThatPassesTheImageHealthCheck() throws Exception {
    // GIVEN the image's start command, which the systemd unit runs too
    List<String> image = PackagingFiles.imageStartCommand();
    List<String> unit = PackagingFiles.execStart(PackagingFiles.SYSTEMD_UNIT);
    Path data = tmp.resolve("data");
    List<String> command = local(image, data);
    assertThat(local(unit, data)).isEqualTo(command);
    Map<String, String> ports = Map.of("OUTPOST_HTTP_PORT", Integer.toString(FreePorts.next()),
        "OUTPOST_GATEWAY_PORT", Integer.toString(FreePorts.next()),
        "OUTPOST_CLUSTER_PORT", Integer.toString(FreePorts.next()),
        "OUTPOST_CLUSTER_BUS_PORT", Integer.toString(FreePorts.next()),
        "OUTPOST_CLUSTER_NAME", "packaged-" + System.nanoTime());

    // WHEN it runs
    try (OutpostProcess node = OutpostProcess.startCommand(tmp, ports, command)) {
      node.awaitStdout("ready: https://localhost:" + ports.get("OUTPOST_HTTP_PORT") + "/", START);
      node.awaitStdout("Bootstrap admin created: user 'admin'", START);

      // THEN the image's health check, run as Docker runs it, says healthy
      Poll.until("the image health check passes", Duration.ofSeconds(60), () -> healthCheck(data, ports) == 0);

      // WHEN the node is stopped as Docker and systemd (KillMode=mixed) stop it THEN it exits cleanly
      assertThat(node.stop()).isZero();
    }
    // AND the health check fails once nothing answers
    assertThat(healthCheck(data, ports)).isNotZero();
  }

  @Test
  void theSiteComposeServicesRunAHubAndTwoClusteredNodesOnAnExternalPostgres() throws Exception {
    // GIVEN an external PostgreSQL prepared as the compose file's postgres service prepares it
    String dbPassword = "compose-db-password-1";
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(tmp.resolve("postgres"))) {
      preparePostgres(postgres, dbPassword);
      int hubPort = FreePorts.next();
      int node1Cluster = FreePorts.next();
      Map<String, String> addresses = new LinkedHashMap<>();
      addresses.put("postgres:5432", "127.0.0.1:" + postgres.port());
      addresses.put("hub:9443", "localhost:" + hubPort);
      addresses.put("localhost:9443", "localhost:" + hubPort);
      addresses.put("172.28.0.11:5701", "127.0.0.1:" + node1Cluster);
      addresses.put("172.28.0.11", "127.0.0.1");
      addresses.put("172.28.0.12", "127.0.0.1");
      String clusterName = "compose-" + System.nanoTime();

      // WHEN the hub service starts as the compose file says (first step, no token yet)
      Map<String, Map<String, Object>> services = PackagingFiles.services(PackagingFiles.compose(
          PackagingFiles.COMPOSE_SITE,
          Map.of("OUTPOST_DB_PASSWORD", dbPassword, "OUTPOST_CLUSTER_SECRET", CLUSTER_SECRET)));
      try (OutpostProcess hub = service(services.get("hub"), "hub", addresses, Map.of("OUTPOST_HUB_PORT",
          Integer.toString(hubPort)))) {
        hub.awaitStdout("Outpost hub .* ready", START);
        String password = hub.awaitStdout("user 'admin', password (\\S+)", START);

        // THEN its own health check passes
        List<String> check = strings(map(services.get("hub").get("healthcheck")).get("test"));
        assertThat(check.get(0)).isEqualTo("CMD");
        assertThat(run(local(check.subList(1, check.size()), tmp.resolve("hub"), addresses))).isZero();

        // WHEN an admin creates the location and starts the nodes with its connector token (second step)
        SiteClient hubClient = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
        String admin = hubClient.login("admin", password);
        Response location = hubClient.post("/admin/api/v1/locations", admin, "{\"name\":\"site-1\"}");
        assertThat(location.status()).as(location.body()).isEqualTo(201);
        services = PackagingFiles.services(PackagingFiles.compose(PackagingFiles.COMPOSE_SITE, Map.of(
            "OUTPOST_DB_PASSWORD", dbPassword, "OUTPOST_CLUSTER_SECRET", CLUSTER_SECRET,
            "OUTPOST_HUB_TOKEN", location.json().getString("connectorToken"))));
        assertThat(hubClient.post("/admin/api/v1/users", admin,
            "{\"username\":\"carol\",\"password\":\"carol-password-1\"}").status()).isEqualTo(201);
        Map<String, String> node1Ports = nodePorts(node1Cluster, clusterName);
        Map<String, String> node2Ports = nodePorts(FreePorts.next(), clusterName);
        try (OutpostProcess node1 = service(services.get("node1"), "node1", addresses, node1Ports)) {
          node1.awaitStdout("ready: https://", START);
          try (OutpostProcess node2 = service(services.get("node2"), "node2", addresses, node2Ports)) {
            node2.awaitStdout("ready: https://", START);

            // THEN both nodes are ready in one cluster of two, each linked to the hub
            SiteClient one = new SiteClient(tmp.resolve("node1/tls/ca.crt"), port(node1Ports));
            SiteClient two = new SiteClient(tmp.resolve("node2/tls/ca.crt"), port(node2Ports));
            for (SiteClient node : List.of(one, two)) {
              Poll.until("a node of two is ready", Duration.ofSeconds(60), () -> {
                Response ready = node.get("/health/ready", null);
                return ready.status() == 200 && ready.json().getJsonObject("checks").getJsonObject("cluster")
                    .getString("detail").startsWith("2 member(s)");
              });
            }
            assertThat(hubClient.get("/admin/api/v1/nodes", admin).json().getJsonArray("items")).hasSize(2);
            // AND node2 adopted node1's site CA through the cluster secret
            assertThat(Files.readString(tmp.resolve("node2/tls/ca.crt")))
                .isEqualTo(Files.readString(tmp.resolve("node1/tls/ca.crt")));
            // AND node2 is on the external PostgreSQL: its admins see where, readiness (public) does not say
            String where = "external PostgreSQL at 127.0.0.1:" + postgres.port() + "/outpost_site";
            assertThat(two.get("/health/ready", null).body()).doesNotContain(Integer.toString(postgres.port()));
            String nodeAdmin = two.login("admin", password);
            Poll.until("node2's published status", Duration.ofSeconds(20),
                () -> two.get("/admin/api/v1/nodes", nodeAdmin).body().contains(where));

            // AND a user of the hub signs in at either node
            assertThat(one.login("carol", "carol-password-1")).isNotEmpty();
            assertThat(two.login("carol", "carol-password-1")).isNotEmpty();
          }
        }
      }
    }
  }

  /** Starts a compose service's command (the image's ENTRYPOINT + its command or the image's CMD). */
  private OutpostProcess service(Map<String, Object> service, String name, Map<String, String> addresses,
      Map<String, String> ports) {
    List<String> image = PackagingFiles.imageStartCommand();
    List<String> command = new ArrayList<>(image.subList(0, image.indexOf(JAR) + 1));
    command.addAll(service.containsKey("command") ? strings(service.get("command"))
        : image.subList(image.indexOf(JAR) + 1, image.size()));
    Map<String, String> env = new HashMap<>();
    map(service.getOrDefault("environment", Map.of())).forEach((key, value) ->
        env.put(key, substitute(String.valueOf(value), addresses)));
    env.putAll(ports);
    return OutpostProcess.startCommand(tmp.resolve("work-" + name), env, local(command, tmp.resolve(name), addresses));
  }

  private static Map<String, String> nodePorts(int clusterPort, String clusterName) {
    return Map.of("OUTPOST_HTTP_PORT", Integer.toString(FreePorts.next()),
        "OUTPOST_GATEWAY_PORT", Integer.toString(FreePorts.next()),
        "OUTPOST_CLUSTER_PORT", Integer.toString(clusterPort),
        "OUTPOST_CLUSTER_BUS_PORT", Integer.toString(FreePorts.next()),
        "OUTPOST_CLUSTER_NAME", clusterName);
  }

  private static int port(Map<String, String> ports) {
    return Integer.parseInt(ports.get("OUTPOST_HTTP_PORT"));
  }

  /** POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB of the postgres service, then its init scripts. */
  private static void preparePostgres(EmbeddedPostgres postgres, String password) throws Exception {
    Map<String, String> environment = new HashMap<>();
    map(PackagingFiles.services(PackagingFiles.compose(PackagingFiles.COMPOSE_SITE, Map.of("OUTPOST_DB_PASSWORD",
        password, "OUTPOST_CLUSTER_SECRET", CLUSTER_SECRET))).get("postgres").get("environment"))
        .forEach((k, v) -> environment.put(k, String.valueOf(v)));
    Map<String, String> admin = postgres.connection();
    String url = "jdbc:postgresql://127.0.0.1:" + postgres.port() + "/postgres";
    try (Connection c = DriverManager.getConnection(url, admin.get("user"), admin.get("password"));
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + environment.get("POSTGRES_USER") + " LOGIN SUPERUSER PASSWORD '"
          + environment.get("POSTGRES_PASSWORD") + "'");
      s.execute("CREATE DATABASE " + environment.get("POSTGRES_DB") + " OWNER " + environment.get("POSTGRES_USER"));
      try (Stream<Path> scripts = Files.list(PackagingFiles.COMPOSE_SITE.resolveSibling("postgres-init")).sorted()) {
        for (Path script : scripts.toList()) {
          s.execute(Files.readString(script, StandardCharsets.UTF_8));
        }
      }
    }
  }

  /** The image's HEALTHCHECK command run with {@code sh -c}, as Docker runs it; its exit code. */
  private int healthCheck(Path data, Map<String, String> env) {
    try {
      ProcessBuilder builder = new ProcessBuilder("sh", "-c", PackagingFiles.imageHealthCheck().replace(DATA,
          data.toString())).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      builder.environment().putAll(env);
      Process check = builder.start();
      return check.waitFor(30, TimeUnit.SECONDS) ? check.exitValue() : -1;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static int run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return process.exitValue();
  }

  /** A packaged command line with this machine's JVM, this build's jar and a test data dir. */
  private static List<String> local(List<String> command, Path data) {
    return local(command, data, Map.of());
  }

  private static List<String> local(List<String> command, Path data, Map<String, String> addresses) {
    List<String> local = new ArrayList<>();
    for (int i = 0; i < command.size(); i++) {
      String word = command.get(i);
      if (i == 0 && (word.equals("java") || word.equals("/usr/bin/java"))) {
        local.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      } else if (word.equals(JAR)) {
        local.add(OutpostProcess.jar().toAbsolutePath().toString());
      } else {
        local.add(substitute(word.replace(DATA, data.toString()), addresses));
      }
    }
    return local;
  }

  private static String substitute(String text, Map<String, String> addresses) {
    String result = text;
    for (Map.Entry<String, String> address : addresses.entrySet()) {
      result = result.replace(address.getKey(), address.getValue());
    }
    return result;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return (Map<String, Object>) value;
  }

  private static List<String> strings(Object value) {
    return ((List<?>) value).stream().map(String::valueOf).toList();
  }
}
