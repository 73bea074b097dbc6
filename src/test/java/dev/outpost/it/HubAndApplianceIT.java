package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A separate {@code outpost hub} and an {@code outpost appliance --hub} as two processes: the appliance
 * enrolls with a connector token, dials out, and signs in and brokers with the hub's accounts and site model.
 */
class HubAndApplianceIT {

  private static final Duration START = Duration.ofMinutes(2);
  private static final String ADMIN_PASSWORD = "hub-admin-password-1";

  @TempDir
  Path tmp;

  @Test
  void anApplianceEnrollsWithTheHubAndServesItsUsers() throws Exception {
    // GIVEN a hub with a location, a pool and resource in it, and a user entitled to it
    Path passwordFile = tmp.resolve("admin-password");
    Files.writeString(passwordFile, ADMIN_PASSWORD);
    int hubPort = FreePorts.next();
    try (OutpostProcess hub = OutpostProcess.start(tmp, Map.of(), "hub", "--data-dir", tmp.resolve("hub").toString(),
        "--hub-port", Integer.toString(hubPort), "--admin-password-file", passwordFile.toString())) {
      hub.awaitStdout("Outpost hub .* ready", START);
      SiteClient hubClient = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
      String admin = hubClient.login("admin", ADMIN_PASSWORD);
      Response location = hubClient.post("/admin/api/v1/locations", admin, "{\"name\":\"branch-1\"}");
      assertThat(location.status()).as(location.body()).isEqualTo(201);
      String token = location.json().getString("connectorToken");
      assertThat(location.json().getString("command")).contains("outpost appliance --hub https://localhost:" + hubPort,
          "--hub-token " + token);
      created(hubClient.post("/admin/api/v1/pools", admin,
          "{\"name\":\"linux\",\"maxSessionsPerHost\":10,\"location\":\"branch-1\"}"));
      created(hubClient.post("/admin/api/v1/resources", admin,
          "{\"name\":\"shell\",\"pool\":\"linux\",\"kind\":\"desktop\",\"port\":22}"));
      created(hubClient.post("/admin/api/v1/users", admin,
          "{\"username\":\"alice\",\"password\":\"alice-password-1\"}"));
      created(hubClient.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"user\":\"alice\"}"));

      // AND a wrong token is refused with one clear line
      OutpostProcess.Result refused = OutpostProcess.run(tmp, "appliance", "--data-dir", tmp.resolve("bad").toString(),
          "--https-port", Integer.toString(FreePorts.next()), "--cluster-bus-port", Integer.toString(FreePorts.next()),
          "--cluster-port", Integer.toString(FreePorts.next()), "--gateway-port", Integer.toString(FreePorts.next()),
          "--hub", "https://localhost:" + hubPort, "--hub-token", token.substring(0, token.length() - 4) + "AAAA");
      assertThat(refused.exitCode()).isEqualTo(1);
      assertThat(refused.stderr()).contains("the hub refused the enrollment (401");

      // WHEN an appliance starts with the hub URL and the connector token
      Path applianceData = tmp.resolve("appliance");
      int https = FreePorts.next();
      String[] args = {"appliance", "--data-dir", applianceData.toString(), "--https-port", Integer.toString(https),
          "--cluster-bus-port", Integer.toString(FreePorts.next()), "--cluster-port", Integer.toString(FreePorts.next()), "--gateway-port", Integer.toString(FreePorts.next()), "--hub", "https://localhost:" + hubPort};
      try (OutpostProcess appliance = OutpostProcess.start(tmp, Map.of("OUTPOST_HUB_TOKEN", token), args)) {
        appliance.awaitStdout("ready: https://localhost:" + https, START);
        SiteClient store = new SiteClient(applianceData.resolve("tls/ca.crt"), https);

        // THEN its tunnel is up, it prints no admin password of its own, and the hub lists it
        awaitStatus(store, "/health/ready", 200);
        assertThat(appliance.stdout()).doesNotContain("Bootstrap admin");
        assertThat(store.get("/api/v1/status", null).json().getString("location")).isEqualTo("branch-1");
        assertThat(hubClient.get("/admin/api/v1/nodes", admin).json().getJsonArray("items")).hasSize(1);

        // AND the hub's user signs in at the appliance and sees the location's resource
        String alice = store.login("alice", "alice-password-1");
        JsonObject resource = store.get("/api/v1/resources", alice).json().getJsonArray("items").getJsonObject(0);
        assertThat(resource.getString("name")).isEqualTo("shell");
        assertThat(resource.getBoolean("available")).isFalse();
        assertThat(resource.getString("reason")).isEqualTo(dev.outpost.error.UserRefusal.NOT_AVAILABLE);
        assertThat(store.post("/api/v1/resources/shell/launch", alice, null).status()).isEqualTo(503);

        // AND the site model is managed at the hub, not here
        String hubAdminHere = store.login("admin", ADMIN_PASSWORD);
        Response pools = store.get("/admin/api/v1/pools", hubAdminHere);
        assertThat(pools.status()).isEqualTo(409);
        assertThat(pools.json().getString("detail")).contains("belongs to hub https://localhost:" + hubPort);
        assertThat(appliance.stop()).isZero();
      }

      // WHEN it starts again without the token THEN it is still a member and connects
      try (OutpostProcess again = OutpostProcess.start(tmp, Map.of(), args)) {
        again.awaitStdout("ready: https://localhost:" + https, START);
        awaitStatus(new SiteClient(applianceData.resolve("tls/ca.crt"), https), "/health/ready", 200);
      }
    }
  }

  private static void created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
  }

  private static void awaitStatus(SiteClient client, String path, int status) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(30);
    Response last = null;
    while (Instant.now().isBefore(deadline)) {
      last = client.get(path, null);
      if (last.status() == status) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(path + " did not answer " + status + " within 30 s: " + last.body());
  }
}
