package dev.outpost.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator reads where a separate hub runs the site: the session history and the broker's metrics are the
 * hub's, the hub link's are the appliance's.
 */
class SeparateHubOperatorTest {

  private static final String HUB_ADMIN_PASSWORD = "operator-test-hub-admin-1";

  @TempDir
  static Path tmp;
  static HubNode hub;
  static SiteClient hubClient;
  static String hubAdmin;
  static TestSite appliance;

  @BeforeAll
  static void start() throws Exception {
    Path hubData = tmp.resolve("hub");
    Files.createDirectories(hubData);
    Path password = tmp.resolve("hub-admin-password");
    Files.writeString(password, HUB_ADMIN_PASSWORD);
    OutpostConfig hubConfig = ConfigLoader.create(Map.of("data-dir", hubData.toString(), "hub.host", "127.0.0.1",
        "hub.port", "0", "admin.password-file", password.toString()), Map.of(), null).load();
    hub = await(HubNode.start(hubConfig.hubSettings(), SiteCertificates.loadOrCreate(hubData.resolve("tls"), "hub",
        List.of()), line -> { }));
    hubClient = new SiteClient(hubData.resolve("tls/ca.crt"), hub.port());
    hubAdmin = hubClient.login("admin", HUB_ADMIN_PASSWORD);
    Response location = hubClient.post("/admin/api/v1/locations", hubAdmin, "{\"name\":\"branch\"}");
    assertThat(location.status()).as(location.body()).isEqualTo(201);
    Response pool = hubClient.post("/admin/api/v1/pools", hubAdmin,
        "{\"name\":\"branch-pool\",\"maxSessionsPerHost\":5,\"location\":\"branch\"}");
    assertThat(pool.status()).as(pool.body()).isEqualTo(201);
    appliance = TestSite.start(tmp.resolve("appliance"), Map.of("hub.url", "https://localhost:" + hub.port(),
        "hub.token", location.json().getString("connectorToken")));
  }

  @AfterAll
  static void stop() throws Exception {
    if (appliance != null) {
      appliance.close();
    }
    if (hub != null) {
      await(hub.stop());
    }
  }

  @Test
  void theSessionHistoryIsReadAtTheHubAndAnApplianceSaysWhere() {
    // WHEN an admin asks an appliance of the hub for the session history
    String admin = appliance.client().login("admin", HUB_ADMIN_PASSWORD);
    Response atAppliance = appliance.client().get("/admin/api/v1/sessions?state=ended", admin);

    // THEN it answers 409 with the hub's address of the history
    assertThat(atAppliance.status()).as(atAppliance.body()).isEqualTo(409);
    assertThat(atAppliance.contentType()).isEqualTo("application/problem+json");
    assertThat(atAppliance.json().getString("detail"))
        .contains("https://localhost:" + hub.port() + "/admin/api/v1/sessions?state=ended");

    // AND the hub answers it from its database
    Response atHub = hubClient.get("/admin/api/v1/sessions?state=ended&pool=anything", hubAdmin);
    assertThat(atHub.status()).as(atHub.body()).isEqualTo(200);
    assertThat(atHub.json().getJsonArray("items")).isEmpty();
  }

  @Test
  void theHubServesTheBrokersMetricsAndTheApplianceItsHubLink() throws Exception {
    // WHEN a scraper without a token reads the hub's metrics (no metrics.token is set there)
    // THEN it gets the broker's open sessions and the pools' hosts
    Poll.until("the hub counts the hosts of its pools", Duration.ofSeconds(30), () -> {
      Response metrics = hubClient.get("/metrics", null);
      return metrics.status() == 200 && metrics.body().contains("outpost_hosts{pool=\"branch-pool\",state=\"lost\"} 0");
    });
    assertThat(hubClient.get("/metrics", null).body()).contains("outpost_sessions{state=\"connected\"} 0");

    // AND the appliance reports that the hub brokers and answers its link
    Poll.until("the appliance's hub link is up", Duration.ofSeconds(30),
        () -> appliance.client().get("/metrics", null).body().contains("outpost_hub_link_up 1"));
    assertThat(appliance.client().get("/metrics", null).body()).contains("outpost_hub_mode{mode=\"hub\"} 1",
        "outpost_hub_mode{mode=\"local\"} 0");
  }

}
