package dev.outpost.lease.impl;

import dev.outpost.cluster.ClusterFutures;
import dev.outpost.cluster.SealedMap;
import dev.outpost.lease.Lease;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliances of this cluster as leases name them: each node announces its own store URL, gateways and CA in
 * {@value #MAP_NAME} (an entry that expires unless renewed, so a node that is gone drops out), and reads the
 * others' for the leases it asks for.
 */
public final class ApplianceRoster extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ApplianceRoster.class);
  public static final String MAP_NAME = "outpost.lease.appliances";
  private static final long RENEW_MS = 20_000;
  private static final long TTL_MS = 60_000;
  /**
   * How often the others' entries are read between renewals: agents learn from this list where to fail over to,
   * and a node that just joined should be in it within seconds, not at the next renewal.
   */
  private static final long READ_MS = 2_000;

  private final SealedMap map;
  private final String node;
  private final Supplier<Lease.Appliance> self;
  private volatile List<Lease.Appliance> known = List.of();

  /** @param self this node's addresses, asked once its listeners are bound */
  public ApplianceRoster(SealedMap map, String node, Supplier<Lease.Appliance> self) {
    this.map = Objects.requireNonNull(map);
    this.node = Objects.requireNonNull(node);
    this.self = Objects.requireNonNull(self);
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(RENEW_MS, id -> renew());
    vertx.setPeriodic(READ_MS, READ_MS, id -> read());
    renew();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return ClusterFutures.on(context, map.removeAsync(node)).otherwiseEmpty();
  }

  /** Every announced appliance, this one included (as last read). */
  public List<Lease.Appliance> appliances() {
    return known;
  }

  /** The HTTPS URLs of every announced appliance, this one included (as last read). */
  public List<String> urls() {
    return known.stream().map(Lease.Appliance::url).toList();
  }

  private void renew() {
    ClusterFutures.on(context, map.setAsync(node, self.get().toJson().encode(), TTL_MS, TimeUnit.MILLISECONDS))
        .compose(v -> readAll())
        .onFailure(e -> LOG.debug("Could not renew this appliance's lease address: {}", e.getMessage()));
  }

  private void read() {
    readAll().onFailure(e -> LOG.debug("Could not read the appliances' lease addresses: {}", e.getMessage()));
  }

  private Future<Void> readAll() {
    return vertx.executeBlocking(() -> map.values().stream()
            .map(json -> Lease.Appliance.fromJson(new JsonObject(json))).sorted(
                java.util.Comparator.comparing(Lease.Appliance::url)).toList(), false)
        .map(list -> {
          known = list;
          return null;
        });
  }
}
