package dev.outpost.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.outpost.testing.Await.await;

import com.hazelcast.core.HazelcastInstance;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SiteModel;
import dev.outpost.cluster.SealedMap;
import dev.outpost.lease.impl.IssueRequest;
import dev.outpost.lease.impl.LeaseIssuer;
import dev.outpost.lease.impl.LeaseOperationsStub;
import dev.outpost.lease.impl.LeaseTrustCache;
import dev.outpost.lease.impl.RevocationOutbox;
import dev.outpost.lease.impl.Upstream;
import dev.outpost.testing.ClusterNode;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lease feature's cluster behaviour with two real cluster members (clustered Vert.x on Hazelcast, as
 * appliances run them) and a hub that signs what it is asked: the issuing queue survives the death of the member
 * that drains it, and a revocation made on one member reaches the other at once and stays on its disk, with the
 * hub unreachable.
 */
class LeaseClusterTest {

  @TempDir
  Path tmp;
  final List<ClusterNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(ClusterNode::close);
  }

  @Test
  void theIssuingQueueSurvivesTheDeathOfTheMemberThatDrainsIt() throws Exception {
    // GIVEN two members, each with the issuing queue, and a hub that signs 50 leases a second at most
    int[] ports = {FreePorts.next(), FreePorts.next()};
    LeaseOperationsStub hub = new LeaseOperationsStub();
    Member first = member(ports, 0, hub);
    Member second = member(ports, 1, hub);
    Poll.until("two members", Duration.ofSeconds(30), () -> second.hazelcast().getCluster().getMembers().size() == 2);
    // a member killed before the partitions reached their backups loses data in any Hazelcast cluster: wait for that
    Poll.until("backups in place", Duration.ofSeconds(60),
        () -> first.hazelcast().getPartitionService().isClusterSafe());

    // WHEN 150 users' leases are queued, and the draining member (the oldest) dies after some are issued
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      IssueRequest request = new IssueRequest(IssueRequest.key("user-" + i, "device-" + i), new UserRef("user-" + i,
          "user" + i), "device-" + i, List.of(), null);
      keys.add(request.key());
      await(i % 2 == 0 ? first.issuer().enqueue(request) : second.issuer().enqueue(request));
    }
    Poll.until("some leases issued", Duration.ofSeconds(30), () -> hub.signed() >= 40);
    assertThat(hub.signed()).as("the rate holds them back").isLessThan(150);
    Poll.until("backups in place", Duration.ofSeconds(60),
        () -> first.hazelcast().getPartitionService().isClusterSafe());
    first.hazelcast().getLifecycleService().terminate();

    // THEN the other member takes the queue over and every lease is issued, none lost
    Poll.until("every lease issued", Duration.ofSeconds(60), () -> keys.stream().allMatch(key -> issued(second, key)));
    assertThat(hub.signed()).as("at most the batch in flight at the death is signed twice")
        .isBetween(150L, 150L + 50);
  }

  @Test
  void aRevocationReachesTheOtherMemberAtOnceAndStaysOnItsDisk() throws Exception {
    // GIVEN two members whose hub cannot be reached
    int[] ports = {FreePorts.next(), FreePorts.next()};
    Member first = member(ports, 0, null);
    Member second = member(ports, 1, null);
    Poll.until("two members", Duration.ofSeconds(30), () -> second.hazelcast().getCluster().getMembers().size() == 2);

    // WHEN an admin revokes a user's leases on the first
    Revocation revocation = Revocation.of(Revocation.Kind.USER, "user-7", null, Instant.now(), "stolen", "admin");
    await(first.trust().publish(revocation));

    // THEN the second knows it, and has written it beside its local host cache
    Poll.until("the revocation reached the other member", Duration.ofSeconds(10),
        () -> second.trust().trust().revocations().contains(revocation));
    Path file = tmp.resolve("node-1/lhc/lease-trust.json");
    Poll.until("written to disk", Duration.ofSeconds(10),
        () -> Files.exists(file) && dev.outpost.testing.SiteClient.readOrEmpty(file).contains("user-7"));
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }

  private record Member(Vertx vertx, HazelcastInstance hazelcast, LeaseIssuer issuer, LeaseTrustCache trust) {
  }

  /** One cluster member; {@code hub} null: the hub cannot be reached. */
  private Member member(int[] ports, int index, LeaseOperationsStub hub) throws Exception {
    ClusterNode node = ClusterNode.start("lease-test-" + ports[0], "lease-test-cluster-secret", ports, index);
    nodes.add(node);
    Vertx vertx = node.vertx();
    HazelcastInstance hazelcast = node.hazelcast();
    Upstream upstream = hub != null ? hub : new Upstream() {
      @Override
      public Future<JsonObject> request(String op, JsonObject body) {
        return Future.failedFuture(new IllegalStateException("the hub is not connected"));
      }

      @Override
      public boolean reachable() {
        return false;
      }
    };
    LeaseIssuer issuer = new LeaseIssuer(hazelcast, node.seal(), upstream, SiteModel::empty, lease -> false, 50,
        Clock.systemUTC());
    LeaseTrustCache trust = new LeaseTrustCache(upstream, tmp.resolve("node-" + index), Duration.ofSeconds(10),
        SealedMap.of(hazelcast, LeaseTrustCache.MAP_NAME, node.seal()), RevocationOutbox.SHARED, "node-" + index,
        Clock.systemUTC());
    await(vertx.deployVerticle(issuer));
    await(vertx.deployVerticle(trust));
    return new Member(vertx, hazelcast, issuer, trust);
  }

  private static boolean issued(Member member, String key) {
    try {
      return await(member.issuer().issued(key)) != null;
    } catch (Exception e) {
      return false;
    }
  }

}
