package dev.outpost.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An admin signed in at one node of a real two-node cluster drains the other node and follows its progress. */
class NodeDrainClusterTest {

  private static final String SECRET = "drain-secret-0123456789";

  @TempDir
  Path tmp;

  @Test
  void anAdminAtOneNodeDrainsAnotherNodeOfTheCluster() throws Exception {
    String name = "drain-test-" + System.nanoTime();
    int firstPort = FreePorts.next();
    try (TestSite first = TestSite.start(tmp.resolve("a"), named("node-a.test",
            TestSite.clusterSettings(name, SECRET, firstPort, null)));
        TestSite second = TestSite.start(tmp.resolve("b"), named("node-b.test",
            TestSite.clusterSettings(name, SECRET, FreePorts.next(), firstPort)))) {
      Poll.until("two members", Duration.ofSeconds(30), () -> first.client().get("/admin/api/v1/nodes",
          first.adminToken()).json().getJsonArray("items").size() == 2);
      String target = second.node().nodeId();

      // WHEN an admin at the first node drains the second one, keeping it up
      Response started = first.client().post("/admin/api/v1/nodes/" + target + "/drain", first.adminToken(),
          "{\"graceSeconds\":0,\"timeoutSeconds\":5,\"stop\":false}");

      // THEN the second node answers through the first: it drains, the first does not
      assertThat(started.status()).as(started.body()).isEqualTo(202);
      assertThat(started.json().getBoolean("draining")).isTrue();
      assertThat(second.client().get("/health/ready", null).status()).isEqualTo(503);
      assertThat(first.client().get("/health/ready", null).status()).isEqualTo(200);

      // AND its progress can be followed through the first node, also by its member id from the node list
      String member = first.client().get("/admin/api/v1/nodes", first.adminToken()).json().getJsonArray("items")
          .stream().map(JsonObject.class::cast).filter(m -> target.equals(m.getString("node"))).findFirst()
          .orElseThrow().getString("id");
      Poll.until("drained", Duration.ofSeconds(20), () -> "drained".equals(first.client()
          .get("/admin/api/v1/nodes/" + member + "/drain", first.adminToken()).json().getString("phase")));

      // AND a bad body is refused by the node that drains, with its own problem
      Response bad = first.client().post("/admin/api/v1/nodes/" + target + "/drain", first.adminToken(),
          "{\"timeoutSeconds\":\"soon\"}");
      assertThat(bad.status()).as(bad.body()).isEqualTo(400);
      assertThat(bad.contentType()).startsWith("application/problem+json");
      assertThat(bad.json().getString("detail")).contains("timeoutSeconds");

      // AND the drained node audits who asked, and through which node, naming the nodes as people know them
      Poll.until("the drain is audited", Duration.ofSeconds(10), () -> "node.drain".equals(latestAudit(second)
          .getString("action")));
      assertThat(latestAudit(second).getString("actor")).isEqualTo("admin");
      assertThat(latestAudit(second).getString("node")).isEqualTo("node-a.test");
      assertThat(latestAudit(second).getString("targetName")).isEqualTo("node-b.test");
      assertThat(latestAudit(second).getString("targetId")).isEqualTo(target);
    }
  }

  /** Cluster settings plus the node's public name: nodes on one machine share its host name. */
  private static java.util.Map<String, String> named(String publicName, java.util.Map<String, String> settings) {
    java.util.Map<String, String> all = new java.util.HashMap<>(settings);
    all.put("http.public-names", publicName);
    return all;
  }

  private static JsonObject latestAudit(TestSite site) {
    return site.client().get("/admin/api/v1/audit", site.adminToken()).json().getJsonArray("items").getJsonObject(0);
  }
}
