package dev.outpost.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.TestSite;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two real nodes of one site: the cluster's leader, its members and a change of leader as {@code /metrics} shows. */
class LeaderMetricsTest {

  private static final String SECRET = "leader-metrics-secret-0123456789";

  @TempDir
  Path tmp;

  @Test
  void whenTheLeaderLeavesTheOtherNodeLeadsAndCountsTheChange() throws Exception {
    // GIVEN a site of two nodes, the first of which leads
    String name = "leader-test-" + System.nanoTime();
    int firstPort = FreePorts.next();
    TestSite first = TestSite.start(tmp.resolve("a"), TestSite.clusterSettings(name, SECRET, firstPort, null));
    boolean firstStopped = false;
    try (TestSite second = TestSite.start(tmp.resolve("b"), TestSite.clusterSettings(name, SECRET,
        FreePorts.next(), firstPort))) {
      Poll.until("the second node sees two members", Duration.ofSeconds(30),
          () -> value(second, "outpost_cluster_members") == 2);
      assertThat(value(first, "outpost_cluster_leader")).isEqualTo(1);
      assertThat(value(second, "outpost_cluster_leader")).isZero();
      assertThat(value(second, "outpost_cluster_leader_changes_total")).isZero();

      // WHEN the first node stops
      first.close();
      firstStopped = true;

      // THEN the second leads, alone, and counted one change of leader
      Poll.until("the second node leads", Duration.ofSeconds(60), () -> value(second, "outpost_cluster_leader") == 1);
      assertThat(value(second, "outpost_cluster_members")).isEqualTo(1);
      assertThat(value(second, "outpost_cluster_leader_changes_total")).isEqualTo(1);
    } finally {
      if (!firstStopped) {
        first.close();
      }
    }
  }

  private static double value(TestSite site, String series) {
    return site.client().get("/metrics", null).body().lines().filter(l -> l.startsWith(series + " "))
        .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim())).findFirst()
        .orElseThrow(() -> new AssertionError("no " + series));
  }
}
