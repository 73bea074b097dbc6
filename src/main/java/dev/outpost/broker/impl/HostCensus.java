package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.SiteModel;
import dev.outpost.db.Database;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gauge {@code outpost_hosts{pool, state}}: the enrolled hosts of each pool by state, {@code registered}
 * (taking sessions), {@code draining}, {@code maintenance}, or {@code lost} (enrolled, but its agent is not
 * registered now: silent, stopped or never started). Every pool shows all four states, zeros included, so that an
 * alert needs no special case for a series that is missing. Refreshed by the broker periodically; while the database
 * cannot be read the last known enrolled hosts stand in.
 */
final class HostCensus {

  private static final Logger LOG = LoggerFactory.getLogger(HostCensus.class);
  static final List<String> STATES = List.of("registered", "draining", "maintenance", "lost");
  private static final String ENROLLED = "SELECT h.id, p.name AS pool FROM hosts h JOIN pools p ON p.id = h.pool_id "
      + "WHERE NOT h.revoked";

  private final Database db;
  private final MultiGauge gauge;
  /** Host id to pool name of the enrolled hosts, as last read. */
  private Map<String, String> enrolled = Map.of();
  private boolean counting;

  HostCensus(Database db, MeterRegistry registry) {
    this.db = Objects.requireNonNull(db);
    this.gauge = MultiGauge.builder("outpost.hosts")
        .description("Enrolled session hosts by pool and state (registered, draining, maintenance, lost)")
        .register(registry);
  }

  /**
   * Counts again from the hosts the broker has registered and the enrolled hosts in the database. Call on the
   * broker's context; a count still running makes this call a no-op.
   */
  Future<Void> refresh(Collection<HostView> registered, SiteModel model) {
    if (counting) {
      return Future.succeededFuture();
    }
    counting = true;
    List<HostView> hosts = List.copyOf(registered);
    return readEnrolled()
        .map(current -> {
          publish(count(hosts, current, model));
          return (Void) null;
        })
        .onComplete(ar -> counting = false);
  }

  private Future<Map<String, String>> readEnrolled() {
    return db.pool().query(ENROLLED).execute()
        .map(rows -> {
          Map<String, String> read = new HashMap<>();
          for (Row row : rows) {
            read.put(row.getUUID("id").toString(), row.getString("pool"));
          }
          enrolled = read;
          return enrolled;
        })
        .recover(e -> {
          LOG.debug("Counting hosts with the enrolled hosts read last: {}", e.getMessage());
          return Future.succeededFuture(enrolled);
        });
  }

  /** Pool name to state to hosts. */
  static Map<String, Map<String, Integer>> count(List<HostView> registered, Map<String, String> enrolled,
      SiteModel model) {
    Map<String, Map<String, Integer>> counts = new TreeMap<>();
    model.pools().values().forEach(pool -> counts.computeIfAbsent(pool.name(), HostCensus::zeros));
    enrolled.values().forEach(pool -> counts.computeIfAbsent(pool, HostCensus::zeros));
    Map<String, String> lost = new HashMap<>(enrolled);
    for (HostView host : registered) {
      lost.remove(host.id());
      String pool = host.poolName() == null || host.poolName().isEmpty() ? host.poolId() : host.poolName();
      counts.computeIfAbsent(pool, HostCensus::zeros).merge(host.state(), 1, Integer::sum);
    }
    lost.values().forEach(pool -> counts.get(pool).merge("lost", 1, Integer::sum));
    return counts;
  }

  private void publish(Map<String, Map<String, Integer>> counts) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    counts.forEach((pool, states) -> states.forEach((state, hosts) ->
        rows.add(MultiGauge.Row.of(Tags.of("pool", pool, "state", state), hosts))));
    gauge.register(rows, true);
  }

  private static Map<String, Integer> zeros(String pool) {
    Map<String, Integer> zeros = new TreeMap<>();
    STATES.forEach(state -> zeros.put(state, 0));
    return zeros;
  }
}
