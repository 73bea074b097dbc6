package dev.outpost.it;

import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * What the tests of a cluster of appliances behind a hub share: a location {@code site-a} with one pool
 * {@code linux} of a given capacity, an app {@code app} and entitled users {@code user1..N} (password
 * {@code user-password-N}); and how they probe the nodes.
 */
final class ClusterOverHub {

  private ClusterOverHub() {
  }

  /** Publishes the location, pool, resource and users on the hub; returns the location's connector token. */
  static String publish(SiteClient hubApi, String admin, int capacity, int servicePort, int users) {
    String connector = hubApi.post("/admin/api/v1/locations", admin, "{\"name\":\"site-a\"}").created()
        .getString("connectorToken");
    hubApi.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":" + capacity
        + ",\"location\":\"site-a\"}").created();
    hubApi.post("/admin/api/v1/resources", admin, "{\"name\":\"app\",\"pool\":\"linux\",\"kind\":\"app\","
        + "\"port\":" + servicePort + "}").created();
    for (int u = 1; u <= users; u++) {
      hubApi.post("/admin/api/v1/users", admin, "{\"username\":\"user" + u + "\",\"password\":"
          + "\"user-password-" + u + "\"}").created();
      hubApi.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"app\",\"user\":\"user" + u + "\"}").created();
    }
    return connector;
  }

  /** Presents a ticket on a node's raw TLS gateway; returns its answer line. */
  static String presentTicket(Path ca, int port, String ticket) throws Exception {
    try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) SiteClient.trusting(ca).getSocketFactory()
        .createSocket("localhost", port)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII));
      StringBuilder line = new StringBuilder();
      for (int c; (c = socket.getInputStream().read()) != -1 && c != '\n'; ) {
        line.append((char) c);
      }
      return line.toString();
    }
  }

  /** Whether the node lists the app as available to the user of {@code token}. */
  static boolean available(SiteClient node, String token) {
    var items = node.get("/api/v1/resources", token).json().getJsonArray("items");
    return !items.isEmpty() && items.getJsonObject(0).getBoolean("available");
  }

  /** The brokering mode the node reports ({@code local} while the hub cannot be reached). */
  static String mode(SiteClient node) {
    Response status = node.get("/api/v1/status", null);
    return status.status() == 200 ? status.json().getString("mode") : "status " + status.status();
  }
}
