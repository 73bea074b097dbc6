package dev.outpost.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.outpost.cluster.ClusterSetup;
import dev.outpost.testing.ClusterNode;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The site's attempt counters in the map {@link ClusterSetup} configures, on two real cluster members: a count
 * survives the abrupt death of the member that owns it (a backup), is not pushed out by counts under thousands of
 * other keys, and leaves the map when its window ends.
 */
class HazelcastAttemptCountersTest {

  private final List<ClusterNode> cluster = new ArrayList<>();
  private final List<Vertx> nodes = new ArrayList<>();
  private final List<HazelcastInstance> members = new ArrayList<>();

  @AfterEach
  void stop() {
    cluster.forEach(ClusterNode::close);
  }

  @Test
  void aCountOutlivesItsOwnerAndThousandsOfOtherNames() throws Exception {
    // GIVEN two members, and kim at her limit of 3 failures counted through the first
    startTwoMembers();
    LoginThrottle first = throttle(0, Duration.ofMinutes(10));
    LoginThrottle second = throttle(1, Duration.ofMinutes(10));
    for (int i = 0; i < 3; i++) {
      LoginThrottle.Attempt attempt = await(first.reserve("kim", "10.0.0.1"));
      assertThat(attempt.refusedFor()).isEmpty();
      await(attempt.failed());
    }

    // WHEN 2,000 other names fail through the second member
    for (int i = 0; i < 2_000; i++) {
      await(second.reserve("other-" + i, "10.1." + (i >> 8) + "." + (i & 0xff)));
    }

    // THEN kim is still refused there
    assertThat(await(second.reserve("kim", "10.0.0.2")).refusedFor()).isPresent();

    // WHEN the member that owns her count dies abruptly, once the backups are in place
    Poll.until("backups in place", Duration.ofSeconds(60), () -> members.get(0).getPartitionService()
        .isClusterSafe());
    int owner = members.get(0).getPartitionService().getPartition(LoginThrottle.userKey("kim")).getOwner().localMember()
        ? 0 : 1;
    members.get(owner).getLifecycleService().terminate();

    // THEN the survivor still refuses her
    LoginThrottle survivor = owner == 0 ? second : first;
    Poll.until("the survivor is alone", Duration.ofSeconds(60), () -> members.get(1 - owner).getCluster()
        .getMembers().size() == 1);
    assertThat(await(survivor.reserve("kim", "10.0.0.3")).refusedFor()).isPresent();
  }

  @Test
  void aCountLeavesTheMapWhenItsWindowEnds() throws Exception {
    // GIVEN a failure counted with a one-second window
    startTwoMembers();
    LoginThrottle throttle = throttle(0, Duration.ofSeconds(1));
    await(throttle.reserve("lou", "10.0.0.4"));
    IMap<String, long[]> map = members.get(1).getMap(HazelcastAttemptCounters.MAP_NAME);
    assertThat(map.size()).isEqualTo(2);

    // THEN both its entries (name and address) leave the map by themselves once the window is over
    Poll.until("the entries expired", Duration.ofSeconds(60), () -> map.size() == 0);
  }

  private void startTwoMembers() throws Exception {
    int[] ports = {FreePorts.next(), FreePorts.next()};
    for (int i = 0; i < 2; i++) {
      ClusterNode node = ClusterNode.start("attempts-test-" + ports[0], "attempts-test-cluster-secret", ports, i);
      cluster.add(node);
      nodes.add(node.vertx());
      members.add(node.hazelcast());
    }
    Poll.until("two members", Duration.ofSeconds(30), () -> members.get(1).getCluster().getMembers().size() == 2);
  }

  private LoginThrottle throttle(int member, Duration window) {
    return new LoginThrottle(new HazelcastAttemptCounters(nodes.get(member),
        members.get(member).getMap(HazelcastAttemptCounters.MAP_NAME), Clock.systemUTC()), 3, 100_000, window);
  }

}
