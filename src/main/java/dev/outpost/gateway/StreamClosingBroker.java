package dev.outpost.gateway;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SessionState;
import io.vertx.core.Future;
import java.util.List;
import java.util.Objects;

/**
 * A broker client that also ends a session's gateway streams on this node once the broker has disconnected
 * or logged off the session, so that the user's connection really drops.
 */
public final class StreamClosingBroker implements BrokerClient {

  private final BrokerClient broker;
  private final Gateway gateway;

  public StreamClosingBroker(BrokerClient broker, Gateway gateway) {
    this.broker = Objects.requireNonNull(broker);
    this.gateway = Objects.requireNonNull(gateway);
  }

  @Override
  public Future<SessionView> logoff(String sessionId, String reason) {
    return broker.logoff(sessionId, reason).onSuccess(s -> gateway.disconnect(sessionId));
  }

  @Override
  public Future<SessionView> disconnect(String sessionId) {
    return broker.disconnect(sessionId).onSuccess(s -> gateway.disconnect(sessionId));
  }

  @Override
  public Future<List<ResourceView>> resources(UserRef user) {
    return broker.resources(user);
  }

  @Override
  public Future<Placement> place(UserRef user, String resource) {
    return broker.place(user, resource);
  }

  @Override
  public Future<List<SessionView>> sessions(SessionQuery query) {
    return broker.sessions(query);
  }

  @Override
  public Future<SessionView> markState(String sessionId, SessionState state) {
    return broker.markState(sessionId, state);
  }

  @Override
  public Future<List<HostView>> hosts() {
    return broker.hosts();
  }

  @Override
  public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
    return broker.updateHost(hostId, draining, maintenance);
  }
}
