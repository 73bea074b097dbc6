package dev.outpost.it;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Function;

/**
 * A separate hub ({@code outpost hub}) as a process for the cluster tests, started with a known admin password and
 * signed in.
 *
 * @param admin the hub admin's bearer token
 */
record HubProcess(OutpostProcess process, SiteClient api, String admin, int port) {

  static final String ADMIN_PASSWORD = "hub-admin-password-1";

  /**
   * Starts a hub with its data under {@code tmp/hub} and waits until it is ready.
   *
   * @param start runs {@code outpost} with the given arguments (and keeps the process for clean-up)
   */
  static HubProcess start(Path tmp, Function<String[], OutpostProcess> start, Duration timeout) throws IOException {
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    int port = FreePorts.next();
    OutpostProcess hub = start.apply(new String[] {"hub", "--data-dir", tmp.resolve("hub").toString(),
        "--hub-port", Integer.toString(port), "--admin-password-file", passwordFile.toString()});
    hub.awaitStdout("Outpost hub .* ready", timeout);
    SiteClient api = new SiteClient(tmp.resolve("hub/tls/ca.crt"), port);
    return new HubProcess(hub, api, api.login("admin", ADMIN_PASSWORD), port);
  }

  /** Creates a resource location; returns its connector token. */
  String location(String name) {
    return api.post("/admin/api/v1/locations", admin, "{\"name\":\"" + name + "\"}").created()
        .getString("connectorToken");
  }

  /** Creates a pool of the location and an app resource in it on {@code port}. */
  void poolWithApp(String location, int maxSessionsPerHost, int port) {
    api.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":" + maxSessionsPerHost
        + ",\"location\":\"" + location + "\"}").created();
    api.post("/admin/api/v1/resources", admin, "{\"name\":\"app\",\"pool\":\"linux\",\"kind\":\"app\",\"port\":"
        + port + "}").created();
  }

  /** Creates {@code user<n>} with password {@code user-password-<n>}, entitled to the app. */
  void entitledUser(int n) {
    api.post("/admin/api/v1/users", admin, "{\"username\":\"user" + n + "\",\"password\":\"user-password-" + n
        + "\"}").created();
    api.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"app\",\"user\":\"user" + n + "\"}").created();
  }
}
