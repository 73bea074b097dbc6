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
import dev.outpost.broker.BrokeringMode;
import dev.outpost.broker.SessionState;
import dev.outpost.hosts.HostEvents;
import dev.outpost.relay.HubLink;
import dev.outpost.relay.LocalHostCache;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that decides who brokers for an appliance with a separate hub ({@link #mode}): the hub while it
 * answers, and once it has not answered for {@code hub.outage-threshold} the cluster's leading appliance, from the
 * local host cache ({@link LocalBroker}, reached through {@link ClusterBrokering}). Host reports always reach the
 * local brokers too, so hosts stay registered across the switch; the hub's placements are mirrored to them. When
 * the hub answers again, the sessions created or changed meanwhile are reported up (the hub takes them over,
 * idempotently by session id) before the hub is authoritative again.
 */
public final class HubFailover extends VerticleBase implements BrokerClient, HostEvents {

  private static final Logger LOG = LoggerFactory.getLogger(HubFailover.class);
  private static final long CHECK_MS = 250;

  private final HubLink link;
  private final RelayedBroker hub;
  private final LocalBroker local;
  private final ClusterBrokering cluster;
  /** In outage mode: the cluster leader's local broker (this node's own when it leads). */
  private final RelayedBroker leader;
  private final LocalHostCache cache;
  private final Duration threshold;
  private volatile BrokeringMode mode = BrokeringMode.HUB;
  private boolean reconciling;

  public HubFailover(HubLink link, LocalBroker local, ClusterBrokering cluster, LocalHostCache cache,
      Duration threshold) {
    this.link = Objects.requireNonNull(link);
    this.hub = new RelayedBroker(link);
    this.local = Objects.requireNonNull(local);
    this.cluster = Objects.requireNonNull(cluster);
    this.leader = new RelayedBroker(cluster);
    this.cache = Objects.requireNonNull(cache);
    this.threshold = Objects.requireNonNull(threshold);
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(CHECK_MS, id -> check());
    return Future.succeededFuture();
  }

  /** Who brokers right now; safe from any thread. */
  public BrokeringMode mode() {
    return mode;
  }

  private void check() {
    if (link.reachable() && link.silence().compareTo(threshold) < 0) {
      if (mode == BrokeringMode.LOCAL && !reconciling) {
        reconcile();
      }
    } else if (mode == BrokeringMode.HUB && link.silence().compareTo(threshold) >= 0) {
      local.brokerAlone(true).onSuccess(v -> {
        mode = BrokeringMode.LOCAL;
        LOG.atWarn().addKeyValue("siteModelVersion", cache.model().version())
            .log("The hub has not answered for {} s: brokering locally from the local host cache (site model "
                + "version {}, received {})", threshold.toSeconds(), cache.model().version(),
                cache.snapshot().receivedAt());
      });
    }
  }

  /**
   * Reports what changed while brokering alone, and the hosts linked here (an agent may have moved to this node
   * meanwhile): the hub is authoritative again once it took them over.
   */
  private void reconcile() {
    reconciling = true;
    local.toReport()
        .compose(sessions -> sessions.isEmpty() ? Future.succeededFuture(sessions)
            : link.request(BrokerOperations.SESSIONS_ADOPT, BrokerWire.adoptRequest(sessions)).map(sessions))
        .compose(sessions -> reportHostsLinkedHere().map(sessions))
        .compose(sessions -> local.reported(sessions).map(sessions))
        .compose(sessions -> local.forgetKept(sessions).recover(e -> {
          // logged for the operator: a later outage's leader would take them over as they were kept
          LOG.warn("Could not remove the sessions the hub took over from the cluster: {}", e.getMessage());
          return Future.succeededFuture();
        }).map(sessions))
        .compose(sessions -> local.brokerAlone(false).map(sessions))
        .onSuccess(sessions -> {
          mode = BrokeringMode.HUB;
          LOG.atInfo().addKeyValue("sessions", sessions.size())
              .log("The hub answers again and took over this appliance's {} session(s): brokering at the hub",
                  sessions.size());
          cache.sync();
        })
        .onFailure(e -> LOG.warn("Could not report the sessions brokered during the outage yet: {}", e.getMessage()))
        .onComplete(ar -> reconciling = false);
  }

  /** Registers this node's hosts with the hub again, so that it knows which node holds each one now. */
  private Future<Void> reportHostsLinkedHere() {
    return local.hosts().compose(hosts -> Future.all(hosts.stream()
        .filter(h -> cluster.nodeId().equals(h.appliance()))
        .map(h -> hub.registered(new HostRegistration(h.id(), h.name(), h.poolId(), h.address(), h.appliance(),
            h.services(), h.load(), List.of())).<Void>mapEmpty().recover(e -> {
              // its next heartbeat registers it again; a host the hub refuses must not hold the hub back
              LOG.warn("The hub did not take host {} ({}) back: {}", h.name(), h.id(), e.getMessage());
              return Future.succeededFuture();
            }))
        .toList())).mapEmpty();
  }

  private BrokerClient broker() {
    return mode == BrokeringMode.HUB ? hub : leader;
  }

  /** The hub's answer in hub mode, with its session mirrored to the local brokers of the cluster. */
  private Future<SessionView> mirrored(Future<SessionView> fromHub) {
    return fromHub.onSuccess(cluster::mirror);
  }

  // ---- brokering ----------------------------------------------------------------------------------

  @Override
  public Future<List<ResourceView>> resources(UserRef user) {
    return broker().resources(user);
  }

  @Override
  public Future<Placement> place(UserRef user, String resource) {
    return mode == BrokeringMode.HUB ? hub.place(user, resource).onSuccess(p -> cluster.mirror(p.session()))
        : leader.place(user, resource);
  }

  @Override
  public Future<List<SessionView>> sessions(SessionQuery query) {
    return broker().sessions(query);
  }

  @Override
  public Future<SessionView> logoff(String sessionId, String reason) {
    return mode == BrokeringMode.HUB ? mirrored(hub.logoff(sessionId, reason)) : leader.logoff(sessionId, reason);
  }

  @Override
  public Future<SessionView> disconnect(String sessionId) {
    return mode == BrokeringMode.HUB ? mirrored(hub.disconnect(sessionId)) : leader.disconnect(sessionId);
  }

  @Override
  public Future<SessionView> markState(String sessionId, SessionState state) {
    return mode == BrokeringMode.HUB ? mirrored(hub.markState(sessionId, state)) : leader.markState(sessionId, state);
  }

  @Override
  public Future<List<HostView>> hosts() {
    return broker().hosts();
  }

  @Override
  public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
    return broker().updateHost(hostId, draining, maintenance);
  }

  // ---- host reports: always to every node's local broker too ---------------------------------------

  @Override
  public Future<Registered> registered(HostRegistration registration) {
    Future<Registered> standby = local.registered(registration);
    cluster.publishHost(registration);
    return mode == BrokeringMode.HUB ? hub.registered(registration) : standby;
  }

  @Override
  public Future<Void> heartbeat(Heartbeat heartbeat) {
    Future<Void> standby = local.heartbeat(heartbeat);
    cluster.publishHost(heartbeat);
    return mode == BrokeringMode.HUB ? hub.heartbeat(heartbeat) : standby;
  }

  @Override
  public Future<Void> lost(String hostId, String reason) {
    // as at the hub: a host that moved to another node since stays registered
    Future<Void> standby = local.lostThrough(hostId, cluster.nodeId(), reason);
    cluster.publishHost(new HostLost(hostId, reason));
    return mode == BrokeringMode.HUB ? hub.lost(hostId, reason) : standby;
  }

}
