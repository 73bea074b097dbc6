package dev.outpost.relay;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.cluster.SealedMap;
import dev.outpost.error.OutpostException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.hosts.EnrollmentOperations;
import dev.outpost.testing.ClusterNode;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Agent links while the hub cannot be reached: two real cluster members share the location's copy of the enrolled
 * hosts, and a hub that answers, times out or is gone, as the tunnel reports it.
 */
class CachedEnrollmentLedgerTest {

  static final String ALPHA = "a".repeat(64);
  static final String BRAVO = "b".repeat(64);
  static final String UNKNOWN = "c".repeat(64);
  static final String REMOVED = "d".repeat(64);

  final List<ClusterNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(ClusterNode::close);
  }

  @Test
  void whileTheHubIsGoneLinksAreVerifiedFromTheCopyAndUnknownHostsAreAskedToTryAgain() throws Exception {
    // GIVEN two members of a location whose hub knows host alpha, host bravo (revoked) and no host for 'removed'
    int[] ports = {FreePorts.next(), FreePorts.next()};
    Hub hub = new Hub();
    hub.rows.put(ALPHA, row("host-alpha", false));
    hub.rows.put(BRAVO, row("host-bravo", true));
    hub.rows.put(REMOVED, new JsonObject());
    CachedEnrollmentLedger first = ledger(ports, 0, hub);
    CachedEnrollmentLedger second = ledger(ports, 1, hub);
    Poll.until("two members", Duration.ofSeconds(30),
        () -> nodes.get(1).hazelcast().getCluster().getMembers().size() == 2);

    // AND each host linked once through the first while the hub answered
    assertThat(await(first.find(ALPHA)).getString("id")).isEqualTo("host-alpha");
    assertThat(await(first.find(BRAVO)).getBoolean("revoked")).isTrue();
    assertThat(await(first.find(REMOVED)).getString("id")).isNull();

    // WHEN the hub is reachable but does not answer, alpha is verified from the copy at once
    hub.state = HubState.SILENT;
    assertThat(await(second.find(ALPHA)).getString("id")).isEqualTo("host-alpha");

    // WHEN the first member dies and the hub cannot be reached at all
    Poll.until("backups in place", Duration.ofSeconds(60),
        () -> nodes.get(0).hazelcast().getPartitionService().isClusterSafe());
    nodes.get(0).hazelcast().getLifecycleService().terminate();
    Poll.until("the second is alone", Duration.ofSeconds(30),
        () -> nodes.get(1).hazelcast().getCluster().getMembers().size() == 1);
    hub.state = HubState.GONE;
    int asked = hub.asked;

    // THEN the second still verifies alpha from the copy, without asking the hub
    JsonObject alpha = await(second.find(ALPHA));
    assertThat(alpha.getString("id")).isEqualTo("host-alpha");
    assertThat(alpha.getString("poolId")).isEqualTo("pool-1");
    assertThat(alpha.getBoolean("revoked")).isFalse();
    assertThat(hub.asked).isEqualTo(asked);

    // AND bravo stays revoked, and an unknown or removed certificate is refused with 503 'try again', never a 401
    // or 403 that would tell the agent to enroll again
    assertThat(await(second.find(BRAVO)).getBoolean("revoked")).isTrue();
    for (String certificate : List.of(UNKNOWN, REMOVED)) {
      assertThatThrownBy(() -> await(second.find(certificate))).rootCause()
          .isInstanceOf(ServerErrorException.class)
          .satisfies(e -> assertThat(((OutpostException) e).status()).isEqualTo(503))
          .hasMessageContaining("try again");
    }
  }

  private static JsonObject row(String id, boolean revoked) {
    return new JsonObject().put("id", id).put("name", id).put("poolId", "pool-1").put("address", "10.0.0.9")
        .put("revoked", revoked);
  }

  private CachedEnrollmentLedger ledger(int[] ports, int index, Hub hub) throws Exception {
    ClusterNode node = ClusterNode.start("enrolled-test-" + ports[0], "enrolled-test-cluster-secret", ports, index);
    nodes.add(node);
    return CachedEnrollmentLedger.overHub(node.vertx(), hub, () -> false, SealedMap.of(node.hazelcast(),
        CachedEnrollmentLedger.MAP_NAME, node.seal()));
  }

  private enum HubState { ANSWERS, SILENT, GONE }

  /** The hub's side of the tunnel: answers hosts.find from its rows, times out, or is not connected. */
  private static final class Hub implements HubChannel {
    final Map<String, JsonObject> rows = new HashMap<>();
    volatile HubState state = HubState.ANSWERS;
    volatile int asked;

    @Override
    public Future<JsonObject> request(String op, JsonObject body) {
      asked++;
      if (state == HubState.SILENT) {
        return Future.failedFuture(ServerErrorException.unavailable("no answer to " + op + " within 10000 ms"));
      }
      if (state == HubState.GONE || !EnrollmentOperations.FIND.equals(op)) {
        return Future.failedFuture(ServerErrorException.unavailable("the hub is not connected"));
      }
      return Future.succeededFuture(rows.getOrDefault(body.getString("certificateSha256"), new JsonObject()).copy());
    }

    @Override
    public boolean reachable() {
      return state != HubState.GONE;
    }

    @Override
    public String describe() {
      return "hub stand-in: " + state;
    }
  }
}
