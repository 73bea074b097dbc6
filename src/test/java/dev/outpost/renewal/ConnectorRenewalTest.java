package dev.outpost.renewal;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.hosts.agent.AgentIdentity;
import dev.outpost.hosts.agent.AgentRunner;
import dev.outpost.http.OutboundProxy;
import dev.outpost.hub.HubNode;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An appliance of a separate hub whose connector certificate lives minutes renews it over its tunnel without dropping
 * it, links again with it after the enrolled one expired, and its agents' renewals are recorded at the hub.
 */
class ConnectorRenewalTest {

  private static final Duration WAIT = Duration.ofMinutes(3);
  private static final String HUB_ADMIN_PASSWORD = "connector-renewal-admin-1";

  @TempDir
  static Path tmp;
  static HubNode hub;
  static SiteClient hubClient;
  static String hubAdmin;
  static TestSite appliance;
  static Map<String, String> applianceSettings;
  static Vertx agents;

  @BeforeAll
  static void start() throws Exception {
    // GIVEN a hub whose connector certificates live 75 s, a location with a pool, and an appliance enrolled with it
    // that renews at 40% of a lifetime; its agents' certificates live 90 s
    Path hubData = tmp.resolve("hub");
    Files.createDirectories(hubData);
    Path password = tmp.resolve("hub-admin-password");
    Files.writeString(password, HUB_ADMIN_PASSWORD);
    OutpostConfig hubConfig = ConfigLoader.create(Map.of("data-dir", hubData.toString(), "hub.host", "127.0.0.1",
        "hub.port", "0", "admin.password-file", password.toString(), "tls.connector-certificate-validity", "75s"),
        Map.of(), null).load();
    hub = await(HubNode.start(hubConfig.hubSettings(),
        SiteCertificates.loadOrCreate(hubData.resolve("tls"), "hub", List.of()), line -> { }));
    hubClient = new SiteClient(hubData.resolve("tls/ca.crt"), hub.port());
    hubAdmin = hubClient.login("admin", HUB_ADMIN_PASSWORD);
    Response location = created(hubClient.post("/admin/api/v1/locations", hubAdmin, "{\"name\":\"branch\"}"));
    created(hubClient.post("/admin/api/v1/pools", hubAdmin,
        "{\"name\":\"branch-pool\",\"maxSessionsPerHost\":5,\"location\":\"branch\"}"));
    applianceSettings = Map.of("hub.url", "https://localhost:" + hub.port(), "hub.token",
        location.json().getString("connectorToken"), "hub.ping-interval", "500ms", "tls.renew-at", "40",
        "tls.agent-certificate-validity", "90s");
    appliance = TestSite.start(tmp.resolve("appliance"), applianceSettings);
    // AND an agent linked to the appliance, with a token made at the hub
    String token = created(hubClient.post("/admin/api/v1/enroll-tokens", hubAdmin, "{\"pool\":\"branch-pool\"}"))
        .json().getString("token");
    agents = Vertx.vertx();
    AgentRunner runner = new AgentRunner(new AgentRunner.Options(List.of(URI.create("https://localhost:"
        + appliance.httpsPort())), token, "127.0.0.1", tmp.resolve("agent"), "branch-desk", null, 0, "test",
        OutboundProxy.direct()), line -> { });
    List<AgentIdentity> identities = runner.prepare(agents);
    runner.link(agents, identities);
  }

  @AfterAll
  static void stop() throws Exception {
    if (agents != null) {
      await(agents.close());
    }
    if (appliance != null) {
      appliance.close();
    }
    if (hub != null) {
      await(hub.stop());
    }
  }

  @Test
  void theApplianceRenewsItsConnectorCertificateOverTheTunnelAndLinksWithItAfterTheOldOneExpired() throws Exception {
    // GIVEN the connector certificate the appliance enrolled with, and its tunnel to the hub
    Path connector = appliance.dataDir().resolve("hub/connector.crt");
    X509Certificate enrolled = Pem.readCertificate(connector);
    Poll.until("the tunnel is up", WAIT, () -> tunnels().size() == 1);
    String tunnelSince = tunnels().get(0).getString("since");

    // WHEN it reaches its renewal point
    Poll.until("the connector certificate renewed", WAIT, () -> !Fingerprints.sha256(read(connector))
        .equals(Fingerprints.sha256(enrolled)));

    // THEN the appliance holds a new key and certificate from the hub's CA for the same appliance, owner-only
    X509Certificate renewed = read(connector);
    assertThat(renewed.getPublicKey()).isNotEqualTo(enrolled.getPublicKey());
    assertThat(renewed.getSubjectX500Principal()).isEqualTo(enrolled.getSubjectX500Principal());
    renewed.verify(Pem.readCertificate(tmp.resolve("hub/tls/ca.crt")).getPublicKey());
    for (String file : List.of("connector.crt", "connector.key", "hub-ca.crt")) {
      assertThat(Files.getPosixFilePermissions(appliance.dataDir().resolve("hub").resolve(file))).as(file)
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
    // AND the tunnel did not drop, and the appliance's metrics show the new certificate's days and the renewal
    assertThat(tunnels()).extracting(t -> t.getString("since")).containsExactly(tunnelSince);
    assertThat(appliance.client().metric("outpost_certificate_renewals_total{certificate=\"connector\","
        + "result=\"renewed\"}")).isPositive();
    assertThat(appliance.client().metric("outpost_certificate_expiry_days{certificate=\"connector\"}"))
        .isPositive().isLessThan(1.0);
    // AND the agent's renewal went to the hub's ledger
    Poll.until("the hub recorded the agent's renewal", WAIT, () -> hubClient.get("/admin/api/v1/audit?targetType=host",
        hubAdmin).json().getJsonArray("items").stream().map(JsonObject.class::cast)
        .anyMatch(e -> "host.certificate-renew".equals(e.getString("action"))));

    // WHEN the enrolled certificate has expired and the appliance restarts
    Poll.until("the enrolled certificate expired", WAIT,
        () -> Instant.now().isAfter(enrolled.getNotAfter().toInstant().plusSeconds(1)));
    appliance.close();
    appliance = TestSite.start(tmp.resolve("appliance"), applianceSettings);

    // THEN it links to the hub again, with the certificate it renewed
    Poll.until("the tunnel is up again", WAIT, () -> tunnels().size() == 1
        && !tunnels().get(0).getString("since").equals(tunnelSince));
    assertThat(appliance.client().metric("outpost_hub_link_up")).isEqualTo(1);
  }

  private static List<JsonObject> tunnels() {
    return hubClient.get("/admin/api/v1/nodes", hubAdmin).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).toList();
  }

  private static X509Certificate read(Path file) {
    try {
      return Pem.readCertificate(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Response created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response;
  }
}
