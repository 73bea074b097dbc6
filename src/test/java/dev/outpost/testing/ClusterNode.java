package dev.outpost.testing;

import com.hazelcast.core.HazelcastInstance;
import dev.outpost.cluster.ClusterBus;
import dev.outpost.cluster.ClusterConfig;
import dev.outpost.cluster.ClusterSeal;
import dev.outpost.cluster.ClusterSetup;
import dev.outpost.cluster.MemberAuthenticator;
import dev.outpost.cluster.NodeIdentity;
import dev.outpost.crypto.ClusterKeys;
import dev.outpost.crypto.SiteCertificates;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A bare cluster member on 127.0.0.1 as appliances run one (authenticated member connections, sealed values, the
 * event bus over mutual TLS), with clustered Vert.x on it, for tests of one feature's cluster behaviour.
 */
public record ClusterNode(Vertx vertx, HazelcastInstance hazelcast, ClusterSeal seal, SimpleMeterRegistry metrics)
    implements AutoCloseable {

  /**
   * Starts member {@code index} of a cluster whose members listen on {@code ports} (each joins the others).
   *
   * @param secret {@code cluster.secret}
   */
  public static ClusterNode start(String name, String secret, int[] ports, int index) throws Exception {
    List<String> join = new ArrayList<>();
    for (int port : ports) {
      join.add("127.0.0.1:" + port);
    }
    ClusterConfig cluster = new ClusterConfig(name, "127.0.0.1", ports[index], FreePorts.next(), join, 1, secret);
    ClusterKeys keys = ClusterKeys.of(secret);
    SimpleMeterRegistry metrics = new SimpleMeterRegistry();
    HazelcastInstance member = ClusterSetup.start(cluster, new NodeIdentity("node-" + index, "node-" + index), "test",
        new MemberAuthenticator(keys, metrics));
    SiteCertificates bus = SiteCertificates.busAuthority(keys.busAuthority(), "node-" + index);
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(ClusterBus.options(bus, "127.0.0.1", cluster.busPort())))
        .withClusterManager(ClusterSetup.clusterManager(member)).buildClustered()
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    return new ClusterNode(vertx, member, ClusterSeal.create(keys, metrics), metrics);
  }

  /** Closes Vert.x, then leaves the cluster; quiet when the member was killed already. */
  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      // a node the test killed is gone already
    }
    if (hazelcast.getLifecycleService().isRunning()) {
      hazelcast.getLifecycleService().shutdown();
    }
  }
}
