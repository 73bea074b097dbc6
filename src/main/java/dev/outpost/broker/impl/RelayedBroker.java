package dev.outpost.broker.impl;

import dev.outpost.relay.Requests;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Launch;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.broker.SessionState;
import dev.outpost.hosts.HostEvents;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * Brokering and host reports relayed as requests: to the hub's broker over this appliance's tunnel, or to the
 * cluster's leading appliance over the event bus in outage mode.
 */
public final class RelayedBroker implements BrokerClient, HostEvents {

  private final Requests hub;

  public RelayedBroker(Requests hub) {
    this.hub = Objects.requireNonNull(hub);
  }

  @Override
  public Future<List<ResourceView>> resources(UserRef user) {
    return hub.request(BrokerOperations.RESOURCES, new JsonObject().put("user", user.toJson()))
        .map(items(ResourceView::fromJson));
  }

  @Override
  public Future<Launch> launch(UserRef user, String resource) {
    return hub.request(BrokerOperations.LAUNCH, new JsonObject().put("user", user.toJson()).put("resource", resource))
        .map(Launch::fromJson);
  }

  @Override
  public Future<List<SessionView>> sessions(SessionQuery query) {
    return hub.request(BrokerOperations.SESSIONS_LIST, new JsonObject().put("query", query.toJson()))
        .map(items(SessionView::fromJson));
  }

  @Override
  public Future<SessionView> logoff(String sessionId, String reason) {
    return hub.request(BrokerOperations.SESSIONS_LOGOFF, new JsonObject().put("sessionId", sessionId)
        .put("reason", reason)).map(SessionView::fromJson);
  }

  @Override
  public Future<SessionView> disconnect(String sessionId) {
    return hub.request(BrokerOperations.SESSIONS_DISCONNECT, new JsonObject().put("sessionId", sessionId))
        .map(SessionView::fromJson);
  }

  @Override
  public Future<SessionView> markState(String sessionId, SessionState state) {
    return hub.request(BrokerOperations.SESSIONS_STATE, new JsonObject().put("sessionId", sessionId)
        .put("state", state.wireName())).map(SessionView::fromJson);
  }

  @Override
  public Future<List<HostView>> hosts() {
    return hub.request(BrokerOperations.HOSTS_LIST, new JsonObject()).map(items(HostView::fromJson));
  }

  @Override
  public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
    return hub.request(BrokerOperations.HOSTS_UPDATE, new JsonObject().put("hostId", hostId).put("draining", draining)
        .put("maintenance", maintenance)).map(json -> json.containsKey("lastSeen") ? HostView.fromJson(json) : null);
  }

  @Override
  public Future<Registered> registered(HostRegistration registration) {
    return hub.request(BrokerOperations.HOSTS_REGISTER, new JsonObject().put("registration", registration.toJson()))
        .map(json -> new Registered(json.getJsonArray("ports").stream().map(p -> ((Number) p).intValue()).toList(),
            Duration.ofSeconds(json.getLong("heartbeatSeconds", 10L))));
  }

  @Override
  public Future<Void> heartbeat(Heartbeat heartbeat) {
    return hub.request(BrokerOperations.HOSTS_HEARTBEAT, new JsonObject().put("heartbeat", heartbeat.toJson()))
        .mapEmpty();
  }

  @Override
  public Future<Void> lost(String hostId, String reason) {
    return hub.request(BrokerOperations.HOSTS_LOST, new JsonObject().put("hostId", hostId).put("reason", reason))
        .mapEmpty();
  }

  private static <T> Function<JsonObject, List<T>> items(Function<JsonObject, T> decode) {
    return json -> json.getJsonArray("items").stream().map(o -> decode.apply((JsonObject) o)).toList();
  }
}
