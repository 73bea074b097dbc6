package dev.outpost.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.SiteCertificates;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.TestSite;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real nodes joining a cluster: with {@code cluster.secret} set, only a node with the same secret gets in. */
class ClusterMembershipTest {

  @TempDir
  Path tmp;

  @Test
  void onlyANodeWithTheSitesSecretJoinsItsCluster() throws Exception {
    String name = "secret-test-" + System.nanoTime();
    int firstPort = FreePorts.next();
    // GIVEN a node of a site whose nodes share a secret
    try (TestSite first = TestSite.start(tmp.resolve("a"), TestSite.clusterSettings(name, "site-secret-0123456789",
        firstPort, null))) {
      // WHEN a node with the same secret joins, and another one with a wrong secret (and a CA of its own: with
      // none, it would wait for the cluster's and not start at all) tries
      SiteCertificates.loadOrCreate(tmp.resolve("c/tls"), "stranger", List.of());
      try (TestSite second = TestSite.start(tmp.resolve("b"), TestSite.clusterSettings(name, "site-secret-0123456789",
          FreePorts.next(), firstPort));
          TestSite stranger = TestSite.start(tmp.resolve("c"), TestSite.clusterSettings(name,
              "not-the-secret-0123456789", FreePorts.next(), firstPort))) {
        // THEN the first two form one cluster and the stranger stays alone
        Poll.until("the second node joined", Duration.ofSeconds(30), () -> members(first) == 2);
        assertThat(members(second)).isEqualTo(2);
        assertThat(members(stranger)).isEqualTo(1);
        assertThat(members(first)).isEqualTo(2);
        // AND the node that joined on a fresh data dir took the site's CA; the stranger has none of it
        assertThat(second.node().caFingerprint()).isEqualTo(first.node().caFingerprint());
        assertThat(stranger.node().caFingerprint()).isNotEqualTo(first.node().caFingerprint());
      }
    }
  }

  private static int members(TestSite site) {
    return site.client().get("/admin/api/v1/nodes", site.adminToken()).json().getJsonArray("items").size();
  }
}
