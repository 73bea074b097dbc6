package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.SiteModel;
import dev.outpost.cluster.ContextHop;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.hosts.AgentCommand;
import dev.outpost.hosts.HostEvents;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance's own broker, over the local host cache: a standby while the hub brokers (it hears every host
 * report and mirrors the hub's placements, so that it knows each host's load), and the broker while the hub
 * cannot be reached. All of its work runs on this verticle's context, so placement stays atomic. Sessions it
 * creates or changes while brokering alone are kept for the hub to take over when it answers again.
 */
public final class LocalBroker extends VerticleBase implements BrokerClient, HostEvents {

  private static final Logger LOG = LoggerFactory.getLogger(LocalBroker.class);
  private static final Duration SWEEP = Duration.ofSeconds(5);
  private static final Duration KEEP_ENDED = Duration.ofMinutes(10);

  private final Supplier<SiteModel> model;
  private final Broker.Settings settings;
  private final BiConsumer<String, AgentCommand> tellAgent;
  private final Broker broker;
  private final OutagePlacements placements;
  /** Sessions created or changed while brokering alone, newest view per id, for the hub to take over. */
  private final Map<String, SessionView> unreported = new LinkedHashMap<>();
  private boolean alone;
  /** True while applying a change another node or the hub made, which must not be announced again. */
  private boolean mirroring;
  private Consumer<SessionView> announce = session -> { };
  /** While an operation runs: what it keeps in the cluster, which its answer waits for. */
  private List<Future<Void>> keeping;

  /** @param tellAgent sends a command (log off, disconnect) to the agent of a host, by host id */
  public LocalBroker(Supplier<SiteModel> model, Broker.Settings settings, Clock clock,
      BiConsumer<String, AgentCommand> tellAgent) {
    this(model, settings, clock, tellAgent, OutagePlacements.NONE);
  }

  /**
   * @param tellAgent sends a command (log off, disconnect) to the agent of a host, by host id
   * @param placements where the sessions this broker places or changes while brokering alone are kept before they
   *     are answered, so that the node that leads next knows them
   */
  public LocalBroker(Supplier<SiteModel> model, Broker.Settings settings, Clock clock,
      BiConsumer<String, AgentCommand> tellAgent, OutagePlacements placements) {
    this.placements = Objects.requireNonNull(placements);
    this.model = Objects.requireNonNull(model);
    this.settings = Objects.requireNonNull(settings);
    this.tellAgent = Objects.requireNonNull(tellAgent);
    this.broker = new Broker(model, settings, clock, this::changed);
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(SWEEP.toMillis(), id -> {
      broker.expireSilentHosts();
      broker.sweep(KEEP_ENDED);
    });
    return Future.succeededFuture();
  }

  private void changed(SessionView session) {
    if (alone) {
      unreported.put(session.id(), session);
      if (!mirroring) {
        Future<Void> kept = placements.keep(session);
        if (keeping != null) {
          keeping.add(kept);
        } else {
          kept.onFailure(e -> LOG.warn("Could not keep session {} in the cluster: {}", session.id(), e.getMessage()));
        }
      }
    }
    if (!mirroring) {
      announce.accept(session);
    }
  }

  /**
   * Takes over the sessions kept in the cluster by a leader that is gone: this node leads now. Sessions it knows
   * already only take the kept state.
   */
  public Future<Integer> takeOverKept() {
    return placements.all().compose(kept -> onContext(() -> {
      mirroring = true;
      try {
        int taken = 0;
        for (SessionView session : kept) {
          try {
            broker.adopt(session, "");
            taken++;
          } catch (ClientErrorException e) {
            LOG.warn("Could not take over session {} kept in the cluster: {}", session.id(), e.getMessage());
          }
        }
        return taken;
      } finally {
        mirroring = false;
      }
    }));
  }

  /** Removes what the hub took over from the cluster's keeping. */
  public Future<Void> forgetKept(List<SessionView> sessions) {
    return placements.forget(sessions);
  }

  /** Where this broker announces the sessions it places or changes itself (the other nodes of the cluster). */
  public void announceTo(Consumer<SessionView> target) {
    this.announce = Objects.requireNonNull(target);
  }

  /** Starts or stops brokering alone (keeping what changes for the hub). */
  public Future<Void> brokerAlone(boolean on) {
    return onContext(() -> {
      alone = on;
      return null;
    });
  }

  /**
   * What the hub must know to take over: the sessions that changed while brokering alone (ended ones included),
   * and every session open here (the hub may have restarted and forgotten those it placed itself).
   * {@link #reported} forgets what the hub took over.
   */
  public Future<List<SessionView>> toReport() {
    return onContext(() -> {
      Map<String, SessionView> all = new LinkedHashMap<>();
      broker.sessions(s -> s.state().open()).forEach(s -> all.put(s.id(), s));
      all.putAll(unreported);
      return new ArrayList<>(all.values());
    });
  }

  /** Forgets these reports, unless the session changed again since. */
  public Future<Void> reported(List<SessionView> sessions) {
    return onContext(() -> {
      sessions.forEach(s -> unreported.remove(s.id(), s));
      return null;
    });
  }

  /** Mirrors a placement or state change the hub made, so that this broker knows the hosts' load. */
  public Future<SessionView> mirror(SessionView session) {
    return onContext(() -> {
      mirroring = true;
      try {
        return broker.adopt(session, "");
      } finally {
        mirroring = false;
      }
    });
  }

  // ---- host reports -------------------------------------------------------------------------------

  @Override
  public Future<Registered> registered(HostRegistration registration) {
    return onContext(() -> {
      broker.register(registration, false, false);
      List<Integer> ports = model.get().resources().values().stream()
          .filter(r -> r.poolId().equals(registration.poolId())).map(SiteModel.Resource::port).distinct().sorted()
          .toList();
      return new Registered(ports, settings.heartbeatInterval());
    });
  }

  @Override
  public Future<Void> heartbeat(Heartbeat heartbeat) {
    return onContext(() -> {
      broker.heartbeat(heartbeat);
      return null;
    });
  }

  @Override
  public Future<Void> lost(String hostId, String reason) {
    return onContext(() -> {
      broker.lost(hostId, reason);
      return null;
    });
  }

  /** A lost link reported by node {@code appliance}: ignored when the host registered through another node since. */
  public Future<Void> lostThrough(String hostId, String appliance, String reason) {
    return onContext(() -> {
      broker.lostThrough(hostId, appliance, reason);
      return null;
    });
  }

  // ---- brokering ----------------------------------------------------------------------------------

  @Override
  public Future<List<ResourceView>> resources(UserRef user) {
    return onContext(() -> broker.enumerate(user));
  }

  @Override
  public Future<Placement> place(UserRef user, String resource) {
    return onContextKept(() -> broker.place(user, resource));
  }

  @Override
  public Future<List<SessionView>> sessions(SessionQuery query) {
    return onContext(() -> (query.userId() != null ? broker.sessionsOf(query.userId(), query::matches)
        : broker.sessions(query::matches)).stream().limit(Math.max(1, query.limit())).toList());
  }

  @Override
  public Future<SessionView> logoff(String sessionId, String reason) {
    return onContextKept(() -> command(broker.end(sessionId, reason), new AgentCommand.Logoff(sessionId)));
  }

  @Override
  public Future<SessionView> disconnect(String sessionId) {
    return onContextKept(() -> command(broker.markState(sessionId, SessionState.DISCONNECTED),
        new AgentCommand.Disconnect(sessionId)));
  }

  private SessionView command(SessionView session, AgentCommand.ForSession command) {
    tellAgent.accept(session.hostId(), command);
    return session;
  }

  @Override
  public Future<SessionView> markState(String sessionId, SessionState state) {
    return onContextKept(() -> broker.markState(sessionId, state));
  }

  @Override
  public Future<List<HostView>> hosts() {
    return onContext(broker::hosts);
  }

  @Override
  public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
    return Future.failedFuture(ServerErrorException.unavailable("hosts are read-only while the hub cannot be "
        + "reached; this appliance brokers from its local host cache"));
  }

  /**
   * Runs {@code work} on this broker's context and answers once the cluster keeps what it changed (while brokering
   * alone); the result completes on the caller's context.
   */
  private <T> Future<T> onContextKept(Supplier<T> work) {
    if (context == null) {
      return Future.failedFuture(ServerErrorException.unavailable("the local broker is starting"));
    }
    return ContextHop.to(vertx, context, () -> {
      List<Future<Void>> kept = new ArrayList<>();
      keeping = kept;
      T result;
      try {
        result = work.get();
      } finally {
        keeping = null;
      }
      return kept.isEmpty() ? Future.succeededFuture(result) : Future.all(kept)
          .recover(e -> Future.failedFuture(ServerErrorException.unavailable("the placement could not be kept on a "
              + "second appliance of the cluster (" + e.getMessage() + "); try again", e)))
          .map(result);
    });
  }

  /** Runs {@code work} on this broker's context; the result completes on the caller's. */
  private <T> Future<T> onContext(Supplier<T> work) {
    if (context == null) {
      return Future.failedFuture(ServerErrorException.unavailable("the local broker is starting"));
    }
    return ContextHop.to(vertx, context, () -> Future.succeededFuture(work.get()));
  }

}
