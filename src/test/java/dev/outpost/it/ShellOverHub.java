package dev.outpost.it;

import dev.outpost.testing.SiteClient;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * The set-up the ssh-through-a-hub tests share: on a hub, a location {@code branch-1} with a pool {@code linux}, an
 * SSH resource {@code shell} on sshd's port and alice entitled to it; and the session host's agent, enrolled through
 * the location's appliance.
 */
final class ShellOverHub {

  static final Duration START = Duration.ofMinutes(2);
  static final String ADMIN_PASSWORD = "hub-admin-password-1";

  private ShellOverHub() {
  }

  /** The arguments of {@code outpost hub} on this port, with the admin password {@link #ADMIN_PASSWORD}. */
  static String[] hubArgs(Path tmp, int hubPort) throws java.io.IOException {
    Path passwordFile = tmp.resolve("admin-password");
    java.nio.file.Files.writeString(passwordFile, ADMIN_PASSWORD);
    return new String[] {"hub", "--data-dir", tmp.resolve("hub").toString(), "--hub-port", Integer.toString(hubPort),
        "--admin-password-file", passwordFile.toString()};
  }

  /** Publishes the location, pool, resource and user; returns the location's connector token. */
  static String publish(SiteClient hubApi, String admin, int sshPort) {
    String connectorToken = hubApi.post("/admin/api/v1/locations", admin, "{\"name\":\"branch-1\"}").created()
        .getString("connectorToken");
    hubApi.post("/admin/api/v1/pools", admin,
        "{\"name\":\"linux\",\"maxSessionsPerHost\":10,\"location\":\"branch-1\"}").created();
    hubApi.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell").put("pool", "linux")
        .put("kind", "desktop").put("port", sshPort).put("launchHint", "ssh").encode()).created();
    hubApi.post("/admin/api/v1/users", admin, "{\"username\":\"alice\",\"password\":\"alice-password-1\"}").created();
    hubApi.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"user\":\"alice\"}").created();
    return connectorToken;
  }

  /** Once the appliance has enrolled with the hub, enrolls the session host's agent through it. */
  static OutpostProcess startAgent(Path tmp, OutpostProcess appliance, int https, SiteClient hubApi, String admin) {
    appliance.awaitStdout("ready: https://localhost:" + https, START);
    String token = hubApi.post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"linux\"}").created()
        .getString("token");
    OutpostProcess agent = OutpostProcess.start(tmp, Map.of(), "agent", "--appliance", "https://localhost:" + https,
        "--token", token, "--address", "127.0.0.1", "--name", "sshd-host", "--data-dir",
        tmp.resolve("agent").toString());
    agent.awaitStdout("Linked to https://localhost:" + https, START);
    return agent;
  }
}
