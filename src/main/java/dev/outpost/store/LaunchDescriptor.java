package dev.outpost.store;

import dev.outpost.broker.LaunchService.Launch;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * What a launch hands the user besides the ticket: the content of a {@code .outpost} launch file (everything an
 * endpoint needs to connect, schema {@link #FILE_VERSION}) and, for SSH resources, a ready-to-use {@code ssh}
 * command that goes through {@code outpost client connect --stdio}.
 */
final class LaunchDescriptor {

  /** Version of the {@code .outpost} file format. */
  static final int FILE_VERSION = 1;
  /** Media type of a downloaded {@code .outpost} file. */
  static final String FILE_MEDIA_TYPE = "application/vnd.outpost.launch+json";
  /** The resource {@code launchHint} that gets an {@code sshCommand}. */
  static final String SSH_HINT = "ssh";

  private LaunchDescriptor() {
  }

  static JsonObject launchFile(String applianceUrl, Launch launch, JsonArray gateways) {
    return new JsonObject()
        .put("v", FILE_VERSION)
        .put("type", "outpost-launch")
        .put("appliance", applianceUrl)
        .put("resource", launch.session().resourceName())
        .put("resourceId", launch.session().resourceId())
        .put("sessionId", launch.session().id())
        .put("ticket", launch.ticket())
        .put("expiresAt", launch.expiresAt().toString())
        .put("gateways", gateways.copy());
  }

  /** {@code ssh -o ProxyCommand='outpost client connect NAME --stdio' USER@NAME}. */
  static String sshCommand(String resourceName, String username) {
    return "ssh -o ProxyCommand='outpost client connect " + resourceName + " --stdio' " + username + "@"
        + resourceName;
  }

  /** The file name a browser saves the launch file under. */
  static String fileName(String resourceName) {
    return resourceName.replaceAll("[^A-Za-z0-9._-]", "_") + ".outpost";
  }
}
