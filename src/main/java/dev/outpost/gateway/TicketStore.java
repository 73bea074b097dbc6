package dev.outpost.gateway;

import dev.outpost.cluster.ClusterFutures;
import com.hazelcast.map.IMap;
import dev.outpost.broker.BrokerModels.Launch;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * One-time launch tickets, kept cluster-wide under the SHA-256 of the ticket (never the ticket itself) until
 * they are used or expire. The gateway consumes them atomically.
 */
public final class TicketStore {

  public static final String MAP_NAME = "outpost.gateway.tickets";

  private final Vertx vertx;
  private final IMap<String, String> tickets;

  public TicketStore(Vertx vertx, IMap<String, String> tickets) {
    this.vertx = vertx;
    this.tickets = tickets;
  }

  /** Remembers a launch's ticket until it expires. */
  public Future<Void> put(Launch launch) {
    long ttl = Math.max(1, Duration.between(Instant.now(), launch.expiresAt()).toMillis());
    JsonObject entry = new JsonObject()
        .put("v", 1)
        .put("sessionId", launch.session().id())
        .put("userId", launch.session().userId())
        .put("hostId", launch.session().hostId())
        .put("hostAddress", launch.session().hostAddress())
        .put("port", launch.session().port())
        .put("expiresAt", launch.expiresAt().toString());
    return ClusterFutures.on(vertx.getOrCreateContext(),
        tickets.setAsync(launch.ticketHash(), entry.encode(), ttl, TimeUnit.MILLISECONDS));
  }
}
