package dev.outpost.hosts.impl;

import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.hosts.HostEvents;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stand-in for the broker relay until it is wired: logs what agents report and asks them to watch no ports
 * and to report every 10 s. Replace it with the relay's implementation of {@link HostEvents}.
 */
public final class LoggingHostEvents implements HostEvents {

  private static final Logger LOG = LoggerFactory.getLogger(LoggingHostEvents.class);
  public static final Duration HEARTBEAT_INTERVAL = Duration.ofSeconds(10);

  @Override
  public Future<Registered> registered(HostRegistration registration) {
    LOG.info("Host {} ({}) registered from {} with {} session(s), load {}", registration.name(), registration.id(),
        registration.address(), registration.sessions().size(), registration.load());
    return Future.succeededFuture(new Registered(List.of(), HEARTBEAT_INTERVAL));
  }

  @Override
  public Future<Void> heartbeat(Heartbeat heartbeat) {
    LOG.debug("Host {} heartbeat: load {}, {} session(s), services {}", heartbeat.hostId(), heartbeat.load(),
        heartbeat.sessions().size(), heartbeat.services());
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> lost(String hostId, String reason) {
    LOG.info("Host {} lost: {}", hostId, reason);
    return Future.succeededFuture();
  }
}
