package dev.outpost.broker.impl;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SiteModel;
import dev.outpost.cluster.SealedMap;
import dev.outpost.error.ClientErrorException;
import dev.outpost.testing.ClusterNode;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Placements made in outage mode live in the cluster with a backup: two real cluster members, each with its local
 * broker keeping what it places in {@link OutagePlacements#MAP_NAME}, and no other way between them (no published
 * reports), so that only the cluster map can tell the second what the first placed before it died.
 */
class OutagePlacementsTest {

  static final SiteModel.Resource SSH = new SiteModel.Resource("r1", "ssh", "Linux shell", "p1", "desktop", 22, "ssh");
  static final SiteModel MODEL = new SiteModel(1, Map.of("p1", new SiteModel.Pool("p1", "linux", 3, "default")),
      Map.of("r1", SSH), Map.of(), Map.of("r1", Set.of("u1", "u2", "u3", "u4")), Map.of());

  final List<ClusterNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(ClusterNode::close);
  }

  @Test
  void theNextLeaderTakesOverWhatTheDeadOnePlacedAndNeverOverFillsAHost() throws Exception {
    // GIVEN two members, each with a local broker brokering alone that keeps its placements in the cluster
    int[] ports = {FreePorts.next(), FreePorts.next()};
    LocalBroker first = broker(ports, 0);
    LocalBroker second = broker(ports, 1);
    ClusterNode survivor = nodes.get(1);
    Poll.until("two members", Duration.ofSeconds(30), () -> survivor.hazelcast().getCluster().getMembers().size() == 2);

    // AND a host that takes three sessions, registered at both
    for (LocalBroker broker : List.of(first, second)) {
      await(broker.registered(new HostRegistration("h1", "host-1", "p1", "10.0.0.5", "node-0", Map.of(22, true), 0.1,
          List.of())));
      await(broker.brokerAlone(true));
    }

    // WHEN the first places two sessions, one of them then disconnected, and dies once the answers are given
    SessionView one = await(first.place(new UserRef("u1", "user1"), "ssh")).session();
    SessionView two = await(first.place(new UserRef("u2", "user2"), "ssh")).session();
    await(first.disconnect(two.id()));
    Poll.until("backups in place", Duration.ofSeconds(60),
        () -> nodes.get(0).hazelcast().getPartitionService().isClusterSafe());
    nodes.get(0).hazelcast().getLifecycleService().terminate();
    Poll.until("the survivor is alone", Duration.ofSeconds(30),
        () -> survivor.hazelcast().getCluster().getMembers().size() == 1);

    // THEN the survivor takes both over with their ids and states, and the host counts them
    assertThat(await(second.takeOverKept())).isEqualTo(2);
    List<SessionView> open = await(second.sessions(new SessionQuery(null, null, null, null, null, true, 100)));
    assertThat(open).extracting(SessionView::id).containsExactlyInAnyOrder(one.id(), two.id());
    assertThat(open).filteredOn(s -> s.id().equals(two.id())).extracting(s -> s.state().wireName())
        .containsExactly("disconnected");
    assertThat(await(second.hosts())).extracting(HostView::sessions).containsExactly(2);

    // AND one more session fits on the host, the next is refused: it is not over-filled
    await(second.place(new UserRef("u3", "user3"), "ssh"));
    assertThatThrownBy(() -> await(second.place(new UserRef("u4", "user4"), "ssh")))
        .rootCause().isInstanceOf(ClientErrorException.class).hasMessageContaining("at capacity");
  }

  private LocalBroker broker(int[] ports, int index) throws Exception {
    ClusterNode node = ClusterNode.start("placements-test-" + ports[0], "placements-test-cluster-secret", ports,
        index);
    nodes.add(node);
    LocalBroker broker = new LocalBroker(() -> MODEL, Broker.Settings.defaults(), Clock.systemUTC(), (h, c) -> { },
        OutagePlacements.inCluster(node.vertx(), SealedMap.of(node.hazelcast(), OutagePlacements.MAP_NAME,
            node.seal())));
    await(node.vertx().deployVerticle(broker));
    return broker;
  }
}
