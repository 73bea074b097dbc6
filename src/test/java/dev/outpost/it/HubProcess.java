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
}
