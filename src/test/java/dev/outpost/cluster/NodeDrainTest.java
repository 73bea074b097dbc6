package dev.outpost.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.SiteExtension;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code /admin/api/v1/nodes/{id}/drain} on a real single-node site: who may call it, what it refuses, and what a
 * drain that does not stop the node shows to load balancers and admins.
 */
@ExtendWith(SiteExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeDrainTest {

  static TestSite site;

  @BeforeAll
  static void useSite(TestSite started) {
    site = started;
  }

  @Test
  @Order(1)
  void theLocalControlFileIsPrivateAndNamesThisNode() throws Exception {
    // GIVEN a running node WHEN its control file is read
    Path file = site.dataDir().resolve(LocalControl.FILE);
    LocalControl.Endpoint endpoint = LocalControl.Endpoint.read(site.dataDir());

    // THEN only its owner may read it, and it leads to this node
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    assertThat(endpoint.url()).isEqualTo("https://localhost:" + site.httpsPort());
    assertThat(endpoint.caSha256()).isEqualTo(site.node().caFingerprint());
    Response status = site.client().get("/admin/api/v1/nodes/" + endpoint.nodeId() + "/drain", endpoint.token());
    assertThat(status.status()).as(status.body()).isEqualTo(200);
    assertThat(status.json().getString("phase")).isEqualTo("serving");
  }

  @Test
  @Order(2)
  void aWrongCredentialAnotherNodeAndABadBodyAreRefused() throws Exception {
    String nodeId = LocalControl.Endpoint.read(site.dataDir()).nodeId();

    // GIVEN a credential that is not the node's THEN 401
    Response stranger = site.client().post("/admin/api/v1/nodes/local/drain", "not-the-credential", "{}");
    assertThat(stranger.status()).isEqualTo(401);
    assertThat(stranger.contentType()).startsWith("application/problem+json");

    // GIVEN another node's id with the local credential THEN 409 naming this node
    String credential = LocalControl.Endpoint.read(site.dataDir()).token();
    Response other = site.client().post("/admin/api/v1/nodes/some-other-node/drain", credential, "{}");
    assertThat(other.status()).isEqualTo(409);
    assertThat(other.json().getString("detail")).contains(nodeId);

    // GIVEN an admin naming a node that is not in the cluster THEN 404 saying where the nodes are listed
    Response unknown = site.client().post("/admin/api/v1/nodes/some-other-node/drain", site.adminToken(), "{}");
    assertThat(unknown.status()).as(unknown.body()).isEqualTo(404);
    assertThat(unknown.json().getString("detail")).contains("some-other-node", "/admin/api/v1/nodes");

    // GIVEN a negative grace period THEN 400 naming the field
    Response bad = site.client().post("/admin/api/v1/nodes/local/drain", site.adminToken(), "{\"graceSeconds\":-1}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().getString("detail")).contains("graceSeconds");

    // AND the node still serves
    assertThat(site.client().get("/health/ready", null).status()).isEqualTo(200);
  }

  @Test
  @Order(3)
  void aDrainTurnsReadinessDownAndShowsEverywhereWhileTheNodeStaysUp() throws Exception {
    // WHEN an admin drains the node without stopping it
    Response started = site.client().post("/admin/api/v1/nodes/local/drain", site.adminToken(),
        "{\"graceSeconds\":0,\"timeoutSeconds\":5,\"stop\":false}");

    // THEN it answers at once with the drain under way, and readiness is down with the drain check saying why
    assertThat(started.status()).as(started.body()).isEqualTo(202);
    assertThat(started.json().getBoolean("draining")).isTrue();
    Response ready = site.client().get("/health/ready", null);
    assertThat(ready.status()).isEqualTo(503);
    JsonObject check = ready.json().getJsonObject("checks").getJsonObject("drain");
    assertThat(check.getString("status")).isEqualTo("DOWN");
    assertThat(check.getString("detail")).startsWith("draining");

    // AND the store status and the node list show it
    assertThat(site.client().get("/api/v1/status", null).json().getBoolean("draining")).isTrue();
    Poll.until("the node list shows the drain", Duration.ofSeconds(10), () -> site.client()
        .get("/admin/api/v1/nodes", site.adminToken()).json().getJsonArray("items").getJsonObject(0)
        .getJsonObject("status").getBoolean("draining", false));

    // AND with no agents and no streams it is drained at once, and stays up
    Poll.until("drained", Duration.ofSeconds(20), () -> "drained".equals(site.client()
        .get("/admin/api/v1/nodes/local/drain", site.adminToken()).json().getString("phase")));
    assertThat(site.client().get("/health/live", null).status()).isEqualTo(200);

    // AND the drain is audited with who asked
    Poll.until("the drain is audited", Duration.ofSeconds(10), () -> "node.drain".equals(latestAudit()
        .getString("action")));
    assertThat(latestAudit().getString("actor")).isEqualTo("admin");
  }

  private static JsonObject latestAudit() {
    return site.client().get("/admin/api/v1/audit", site.adminToken()).json().getJsonArray("items").getJsonObject(0);
  }
}
