package dev.outpost.it;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import javax.net.ssl.SSLSocket;

/** What the cluster tests with a separate hub share: the location they publish, and how they use its gateway. */
final class HubSite {

  private static final Duration START = Duration.ofMinutes(3);

  private HubSite() {
  }

  /** Starts a hub under {@code tmp/hub} whose bootstrap admin has {@code adminPassword}; returns once it is ready. */
  static OutpostProcess startHub(Path tmp, Map<String, String> env, int hubPort, String adminPassword,
      BiFunction<Map<String, String>, String[], OutpostProcess> start) throws IOException {
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, adminPassword);
    OutpostProcess hub = start.apply(env, new String[] {"hub", "--data-dir", tmp.resolve("hub").toString(),
        "--hub-port", Integer.toString(hubPort), "--admin-password-file", passwordFile.toString()});
    hub.awaitStdout("Outpost hub .* ready", START);
    return hub;
  }

  /**
   * Publishes location {@code site-a} on the hub: pool {@code linux} whose hosts take {@code capacity} sessions,
   * resource {@code app} on {@code servicePort}, users {@code user1..userN} (password {@code user-password-N})
   * entitled to it. Returns the location's connector token.
   */
  static String publish(SiteClient hub, String admin, int capacity, int servicePort, int users) {
    String connector = hub.post("/admin/api/v1/locations", admin, "{\"name\":\"site-a\"}").created()
        .getString("connectorToken");
    hub.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":" + capacity
        + ",\"location\":\"site-a\"}").created();
    hub.post("/admin/api/v1/resources", admin, "{\"name\":\"app\",\"pool\":\"linux\",\"kind\":\"app\","
        + "\"port\":" + servicePort + "}").created();
    for (int u = 1; u <= users; u++) {
      hub.post("/admin/api/v1/users", admin, "{\"username\":\"user" + u + "\",\"password\":"
          + "\"user-password-" + u + "\"}").created();
      hub.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"app\",\"user\":\"user" + u + "\"}").created();
    }
    return connector;
  }

  /**
   * Starts three appliances of the location in one cluster, node-1 first and the others joining it, each under
   * {@code tmp/node-N}, and waits until each is ready. Fills {@code nodes} (their stores) and {@code gatewayPorts}.
   *
   * @param env settings of every node (the hub token among them); the cluster name is added
   * @param start starts one process and keeps it for clean-up
   */
  static List<OutpostProcess> startThree(Path tmp, Map<String, String> env, int hubPort, List<SiteClient> nodes,
      List<Integer> gatewayPorts, BiFunction<Map<String, String>, String[], OutpostProcess> start) {
    return startNodes(3, tmp, env, hubPort, nodes, gatewayPorts, start);
  }

  /** {@link #startThree}, with {@code count} appliances. */
  static List<OutpostProcess> startNodes(int count, Path tmp, Map<String, String> env, int hubPort,
      List<SiteClient> nodes, List<Integer> gatewayPorts,
      BiFunction<Map<String, String>, String[], OutpostProcess> start) {
    Map<String, String> settings = new HashMap<>(env);
    settings.put("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime());
    // nodes that join need the site's secret; with it they also share one site CA
    settings.putIfAbsent("OUTPOST_CLUSTER_SECRET", "hub-site-cluster-secret-0123456789");
    int firstClusterPort = FreePorts.next();
    List<OutpostProcess> appliances = new ArrayList<>();
    for (int n = 1; n <= count; n++) {
      int https = FreePorts.next();
      int clusterPort = n == 1 ? firstClusterPort : FreePorts.next();
      gatewayPorts.add(FreePorts.next());
      List<String> args = new ArrayList<>(List.of("appliance", "--data-dir", tmp.resolve("node-" + n).toString(),
          "--https-port", Integer.toString(https), "--cluster-bus-port", Integer.toString(FreePorts.next()),
          "--cluster-port", Integer.toString(clusterPort),
          "--gateway-port", Integer.toString(gatewayPorts.get(n - 1)), "--hub", "https://localhost:" + hubPort));
      if (n > 1) {
        args.addAll(List.of("--join", "127.0.0.1:" + firstClusterPort));
      }
      OutpostProcess node = start.apply(settings, args.toArray(String[]::new));
      node.awaitStdout("ready: https://localhost:" + https, START);
      appliances.add(node);
      nodes.add(new SiteClient(tmp.resolve("node-" + n + "/tls/ca.crt"), https));
    }
    return appliances;
  }

  /** Presents a ticket on a node's raw TLS gateway; returns its answer line. */
  static String presentTicket(Path ca, int port, String ticket) throws IOException {
    try (SSLSocket socket = (SSLSocket) SiteClient.trusting(ca).getSocketFactory().createSocket("localhost", port)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII));
      StringBuilder line = new StringBuilder();
      for (int c; (c = socket.getInputStream().read()) != -1 && c != '\n'; ) {
        line.append((char) c);
      }
      return line.toString();
    }
  }

  /** Whether the user's first resource can be launched now (its host registered, its port up). */
  static boolean available(SiteClient node, String token) {
    var items = node.get("/api/v1/resources", token).json().getJsonArray("items");
    return !items.isEmpty() && items.getJsonObject(0).getBoolean("available");
  }

  /** The brokering mode the node reports ({@code local} while the hub cannot be reached). */
  static String mode(SiteClient node) {
    SiteClient.Response status = node.get("/api/v1/status", null);
    return status.status() == 200 ? status.json().getString("mode") : "status " + status.status();
  }
}
