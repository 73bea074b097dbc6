package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostLost;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.broker.SessionState;
import dev.outpost.hosts.HostEvents;
import dev.outpost.relay.Requests;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * Brokering and host reports relayed as requests (the stub of {@link BrokerWire}): to the hub's broker over this
 * appliance's tunnel, or to the cluster's leading appliance over the event bus in outage mode.
 */
public final class RelayedBroker implements BrokerClient, HostEvents {

  private final Requests broker;

  public RelayedBroker(Requests broker) {
    this.broker = Objects.requireNonNull(broker);
  }

  @Override
  public Future<List<ResourceView>> resources(UserRef user) {
    return broker.request(BrokerOperations.RESOURCES, BrokerWire.resourcesRequest(user))
        .map(answer -> BrokerWire.items(answer, ResourceView::fromJson));
  }

  @Override
  public Future<Placement> place(UserRef user, String resource) {
    return broker.request(BrokerOperations.LAUNCH, BrokerWire.launchRequest(user, resource))
        .map(Placement::fromJson);
  }

  @Override
  public Future<List<SessionView>> sessions(SessionQuery query) {
    return broker.request(BrokerOperations.SESSIONS_LIST, BrokerWire.sessionsRequest(query))
        .map(BrokerWire::sessions);
  }

  @Override
  public Future<SessionView> logoff(String sessionId, String reason) {
    return broker.request(BrokerOperations.SESSIONS_LOGOFF, BrokerWire.logoffRequest(sessionId, reason))
        .map(SessionView::fromJson);
  }

  @Override
  public Future<SessionView> disconnect(String sessionId) {
    return broker.request(BrokerOperations.SESSIONS_DISCONNECT, BrokerWire.disconnectRequest(sessionId))
        .map(SessionView::fromJson);
  }

  @Override
  public Future<SessionView> markState(String sessionId, SessionState state) {
    return broker.request(BrokerOperations.SESSIONS_STATE, BrokerWire.stateRequest(sessionId, state))
        .map(SessionView::fromJson);
  }

  @Override
  public Future<List<HostView>> hosts() {
    return broker.request(BrokerOperations.HOSTS_LIST, new JsonObject())
        .map(answer -> BrokerWire.items(answer, HostView::fromJson));
  }

  @Override
  public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
    return broker.request(BrokerOperations.HOSTS_UPDATE, BrokerWire.updateHostRequest(hostId, draining, maintenance))
        .map(BrokerWire::updatedHost);
  }

  @Override
  public Future<Registered> registered(HostRegistration registration) {
    return broker.request(BrokerOperations.HOSTS_REGISTER, BrokerWire.registerRequest(registration))
        .map(BrokerWire::registered);
  }

  @Override
  public Future<Void> heartbeat(Heartbeat heartbeat) {
    return broker.request(BrokerOperations.HOSTS_HEARTBEAT, BrokerWire.heartbeatRequest(heartbeat)).mapEmpty();
  }

  @Override
  public Future<Void> lost(String hostId, String reason) {
    return broker.request(BrokerOperations.HOSTS_LOST, new HostLost(hostId, reason).toJson()).mapEmpty();
  }
}
