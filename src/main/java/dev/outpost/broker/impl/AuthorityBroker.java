package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.hosts.HostEvents.Registered;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.impl.BrokerWire.HubBroker;
import dev.outpost.hosts.HostEvents;
import dev.outpost.relay.Requests;
import io.vertx.core.Future;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Brokering at the site's authority, wherever it runs now: typed and in process while this node holds it (no JSON
 * on the way), relayed as requests ({@link RelayedBroker}) to the node that holds it otherwise. The choice is made
 * per call, so a takeover needs nothing from the callers.
 */
public final class AuthorityBroker implements BrokerClient, HostEvents {

  private final Supplier<HubBroker> local;
  private final RelayedBroker relayed;

  /**
   * @param local this node's typed broker while it holds the authority, else {@code null}
   * @param authority requests for the authority, wherever it is
   */
  public AuthorityBroker(Supplier<HubBroker> local, Requests authority) {
    this.local = Objects.requireNonNull(local);
    this.relayed = new RelayedBroker(authority);
  }

  private BrokerClient broker() {
    HubBroker here = local.get();
    return here != null ? here : relayed;
  }

  private HostEvents events() {
    HubBroker here = local.get();
    return here != null ? here : relayed;
  }

  @Override
  public Future<List<ResourceView>> resources(UserRef user) {
    return broker().resources(user);
  }

  @Override
  public Future<Placement> place(UserRef user, String resource) {
    return broker().place(user, resource);
  }

  @Override
  public Future<List<SessionView>> sessions(SessionQuery query) {
    return broker().sessions(query);
  }

  @Override
  public Future<SessionView> logoff(String sessionId, String reason) {
    return broker().logoff(sessionId, reason);
  }

  @Override
  public Future<SessionView> disconnect(String sessionId) {
    return broker().disconnect(sessionId);
  }

  @Override
  public Future<SessionView> markState(String sessionId, SessionState state) {
    return broker().markState(sessionId, state);
  }

  @Override
  public Future<List<HostView>> hosts() {
    return broker().hosts();
  }

  @Override
  public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
    return broker().updateHost(hostId, draining, maintenance);
  }

  @Override
  public Future<Registered> registered(HostRegistration registration) {
    return events().registered(registration);
  }

  @Override
  public Future<Void> heartbeat(Heartbeat heartbeat) {
    return events().heartbeat(heartbeat);
  }

  @Override
  public Future<Void> lost(String hostId, String reason) {
    return events().lost(hostId, reason);
  }
}
