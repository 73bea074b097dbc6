package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.SiteModel;
import dev.outpost.broker.impl.BrokerWire.HubBroker;
import dev.outpost.cluster.ContextHop;
import dev.outpost.db.Database;
import dev.outpost.db.DatabaseUnavailableException;
import dev.outpost.db.DiskSpool;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.hosts.AgentCommand;
import dev.outpost.hosts.HostEvents.Registered;
import dev.outpost.relay.Requests;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's primary broker: one {@link Broker} per resource location, all on this verticle's context so
 * that placement is atomic. Keeps the site model fresh by polling its change counter, expires silent hosts,
 * reclaims launches that never connected, and writes session history behind.
 */
public final class BrokerService extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerService.class);
  /** The spool of session history under {@code data-dir/spool/}. */
  static final String HISTORY_SPOOL = "session-history";
  private static final Duration MODEL_POLL = Duration.ofMillis(500);
  private static final Duration SWEEP = Duration.ofSeconds(5);
  private static final Duration KEEP_ENDED = Duration.ofMinutes(10);
  /** How long the sessions open at the last stop wait for their hosts' agents to link again. */
  static final Duration RELINK_WAIT = Duration.ofMinutes(5);

  private final Database db;
  private final Broker.Settings settings;
  private final Clock clock;
  private final SiteModelLoader models;
  private final java.nio.file.Path dataDir;
  private final MeterRegistry metrics;
  private SessionHistory history;
  /** Open sessions by state for {@code /metrics}, counted on their way to the history. */
  private SessionTally tally;
  private HostCensus census;
  /** Sessions open when this broker last stopped, until their hosts link again. */
  private RelinkingSessions relinking = RelinkingSessions.none();
  /** Completes once {@link #relinking} is read: a host registering earlier waits for it. */
  private Future<Void> relinkingRead = Future.succeededFuture();
  private final Map<String, Broker> brokers = new HashMap<>();
  private final Map<String, SiteModel> byLocation = new HashMap<>();
  /** When each location's appliances last reported, which decides whether its hosts may age out. */
  private final Map<String, LocationContact> contacts = new HashMap<>();
  /** The tunnel to each appliance node, for commands to the agents it holds. */
  private final Map<String, Requests> appliances = new ConcurrentHashMap<>();
  private volatile SiteModel model = SiteModel.empty();
  private boolean reloading;

  /**
   * @param dataDir where session history waits on disk while the database cannot be reached
   * @param metrics where the size of that spool, the open sessions and the hosts per pool are reported
   */
  public BrokerService(Database db, Broker.Settings settings, Clock clock, java.nio.file.Path dataDir,
      MeterRegistry metrics) {
    this.db = Objects.requireNonNull(db);
    this.settings = Objects.requireNonNull(settings);
    this.clock = Objects.requireNonNull(clock);
    this.models = new SiteModelLoader(db);
    this.dataDir = Objects.requireNonNull(dataDir);
    this.metrics = Objects.requireNonNull(metrics);
  }

  @Override
  public Future<?> start() {
    history = new SessionHistory(db, DiskSpool.inDataDir(vertx, dataDir, HISTORY_SPOOL, metrics));
    tally = new SessionTally(metrics, history::record);
    census = new HostCensus(db, metrics);
    return models.load().onSuccess(loaded -> model = loaded)
        .compose(loaded -> {
          relinkingRead = resumeOpenSessions();
          return relinkingRead.map(loaded);
        })
        .onSuccess(loaded -> {
          vertx.setPeriodic(MODEL_POLL.toMillis(), id -> refreshModel());
          vertx.setPeriodic(SWEEP.toMillis(), id -> sweep());
          history.start(vertx);
          LOG.info("Broker ready (site model version {})", loaded.version());
        });
  }

  /**
   * Reads the sessions that were open when this broker last stopped, once the history a crash left in the spool is
   * written: they come back as their hosts link again. Without the database none come back (logged).
   */
  private Future<Void> resumeOpenSessions() {
    return history.flush()
        .compose(v -> RelinkingSessions.load(db, clock.instant(), RELINK_WAIT))
        .onSuccess(waiting -> {
          relinking = waiting;
          if (waiting.size() > 0) {
            LOG.atInfo().addKeyValue("sessions", waiting.size())
                .log("Sessions open at the last stop wait for their hosts to link again");
          }
        })
        .onFailure(e -> LOG.warn("Cannot read the sessions open at the last stop ({}): they are not listed until "
            + "their users launch again", e.getMessage()))
        .<Void>mapEmpty()
        .otherwiseEmpty();
  }

  @Override
  public Future<?> stop() {
    return history == null ? Future.succeededFuture() : history.flush();
  }

  /** The newest site model snapshot this broker uses. */
  public SiteModel model() {
    return model;
  }

  /**
   * The site model as the database has it now: reloaded first when its change counter moved since the last load
   * (one small query otherwise). For answers that must not lag behind an admin's change, like a lease's resources.
   */
  public Future<SiteModel> fresh() {
    return onContext(() -> models.version()
        .compose(version -> version == model.version() ? Future.succeededFuture(model) : models.load()
            .map(loaded -> {
              model = loaded;
              return loaded;
            })));
  }

  /** Reloads the site model now (e.g. right after an admin change), on this service's context. */
  public Future<SiteModel> refreshNow() {
    return onContext(() -> models.load().map(loaded -> {
      model = loaded;
      return loaded;
    }));
  }

  /**
   * The handler of a broker operation an appliance node sends over its tunnel ({@link BrokerOperations}), or
   * {@code null} when {@code op} is not one.
   *
   * @param location the resource location the node's tunnel was authenticated for
   * @param toNode where requests down to that node go (commands for the agents it holds)
   */
  public Function<JsonObject, Future<JsonObject>> operation(String location, String node, Requests toNode,
      String op) {
    return BrokerWire.hub(op, forNode(location, node, toNode));
  }

  /**
   * The broker of {@code location} as appliance node {@code node} sees it, typed: what {@link #operation} serves that
   * node's tunnel, for the hub role in the node's own process, which needs no wire form. Answers complete on the
   * caller's context.
   */
  public HubBroker forNode(String location, String node, Requests toNode) {
    appliances.put(node, toNode);
    return new ApplianceView(location, node);
  }

  /** The broker of one location as one of its appliance nodes sees it, on this service's context. */
  private final class ApplianceView implements HubBroker {

    private final String location;
    private final String node;

    ApplianceView(String location, String node) {
      this.location = location;
      this.node = node;
    }

    @Override
    public Future<Registered> registered(HostRegistration registration) {
      return register(location, node, registration);
    }

    @Override
    public Future<Void> heartbeat(Heartbeat heartbeat) {
      return sync(location, b -> {
        b.heartbeat(heartbeat);
        return null;
      });
    }

    /** An agent that moved to another node stays registered when its old node reports the link lost. */
    @Override
    public Future<Void> lost(String hostId, String reason) {
      return sync(location, b -> {
        b.lostThrough(hostId, node, reason);
        return null;
      });
    }

    @Override
    public Future<Optional<SiteModel>> snapshot(long haveVersion) {
      return onContext(() -> {
        heard(location);
        SiteModel current = modelFor(location);
        return Future.succeededFuture(current.version() == haveVersion ? Optional.empty() : Optional.of(current));
      });
    }

    @Override
    public Future<Integer> adopt(List<SessionView> sessions) {
      return sync(location, b -> {
        int adopted = 0;
        for (SessionView session : sessions) {
          try {
            b.adopt(session, node);
            adopted++;
          } catch (ClientErrorException e) {
            LOG.warn("Could not take over a session from appliance {}: {}", node, e.getMessage());
          }
        }
        LOG.atInfo().addKeyValue("node", node).addKeyValue("sessions", adopted)
            .log("Took over sessions brokered while the hub could not be reached");
        return adopted;
      });
    }

    @Override
    public Future<List<ResourceView>> resources(UserRef user) {
      return sync(location, b -> b.enumerate(user));
    }

    @Override
    public Future<Placement> place(UserRef user, String resource) {
      return sync(location, b -> b.place(user, resource));
    }

    @Override
    public Future<List<SessionView>> sessions(SessionQuery query) {
      return sync(location, b -> select(b, query));
    }

    @Override
    public Future<SessionView> logoff(String sessionId, String reason) {
      return sessionCommand(sessionId, () -> broker(location), b -> b.end(sessionId, reason),
          new AgentCommand.Logoff(sessionId));
    }

    @Override
    public Future<SessionView> disconnect(String sessionId) {
      return sessionCommand(sessionId, () -> broker(location),
          b -> b.markState(sessionId, SessionState.DISCONNECTED), new AgentCommand.Disconnect(sessionId));
    }

    @Override
    public Future<SessionView> markState(String sessionId, SessionState state) {
      return sync(location, b -> b.markState(sessionId, state));
    }

    @Override
    public Future<List<HostView>> hosts() {
      return sync(location, Broker::hosts);
    }

    @Override
    public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
      return BrokerService.this.updateHost(hostId, draining, maintenance, () -> broker(location));
    }
  }

  /** Registers a host after checking that it is enrolled and not revoked; its admin flags come from there. */
  private Future<Registered> register(String location, String node, HostRegistration registration) {
    UUID hostId;
    try {
      hostId = UUID.fromString(registration.id());
    } catch (IllegalArgumentException | NullPointerException e) {
      return Future.failedFuture(ClientErrorException.validation("host id must be a UUID"));
    }
    return db.pool().preparedQuery("SELECT draining, maintenance, revoked FROM hosts WHERE id = $1")
        .execute(Tuple.of(hostId))
        .compose(rows -> {
          if (rows.size() == 0 || rows.iterator().next().getBoolean("revoked")) {
            return Future.failedFuture(ClientErrorException.forbidden("host " + hostId + " is not enrolled"));
          }
          var row = rows.iterator().next();
          boolean draining = row.getBoolean("draining");
          boolean maintenance = row.getBoolean("maintenance");
          return relinkingRead.compose(x -> sync(location, b -> {
            b.register(registration, draining, maintenance);
            resume(b, node, registration);
            List<Integer> ports = modelFor(location).resources().values().stream()
                .filter(r -> r.poolId().equals(registration.poolId()))
                .map(SiteModel.Resource::port).distinct().sorted().toList();
            LOG.atInfo().addKeyValue("host", registration.name()).addKeyValue("node", node)
                .log("Host registered");
            return new Registered(ports, settings.heartbeatInterval());
          }));
        });
  }

  /**
   * Takes back the sessions a host had when this broker last stopped: all of them for an agent that does not report
   * its sessions, else those it reports (the others ended on the host meanwhile).
   */
  private void resume(Broker broker, String node, HostRegistration registration) {
    List<SessionView> waiting = relinking.take(registration.id());
    if (waiting.isEmpty()) {
      return;
    }
    int resumed = 0;
    for (SessionView session : waiting) {
      if (!registration.sessions().isEmpty() && !registration.sessions().contains(session.id())) {
        history.record(RelinkingSessions.ended(session, RelinkingSessions.NOT_REPORTED, clock.instant()));
        continue;
      }
      try {
        broker.adopt(session, node);
        resumed++;
      } catch (ClientErrorException e) {
        history.record(RelinkingSessions.ended(session, "ended while the broker restarted: " + e.getMessage(),
            clock.instant()));
      }
    }
    LOG.atInfo().addKeyValue("host", registration.name()).addKeyValue("sessions", resumed)
        .log("Host linked again: its sessions are open again");
  }

  /**
   * Sets a host's drain and maintenance flags in the database, then in the broker that holds it, and tells its agent
   * about a drain. {@code null} for a host that is enrolled but not registered now.
   */
  private Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance, Supplier<Broker> scope) {
    UUID id;
    try {
      id = UUID.fromString(hostId);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(ClientErrorException.notFound("no host " + hostId));
    }
    return db.pool().preparedQuery("UPDATE hosts SET draining = coalesce($2, draining), "
            + "maintenance = coalesce($3, maintenance) WHERE id = $1 AND NOT revoked")
        .execute(Tuple.of(id, draining, maintenance))
        .recover(e -> Future.failedFuture(new DatabaseUnavailableException("the database cannot be reached: "
            + "draining and maintenance are host settings kept there; change them again when it answers", e)))
        .compose(rows -> rows.rowCount() == 0 ? Future.failedFuture(ClientErrorException.notFound("no host " + hostId))
            : onContext(() -> Future.succeededFuture(setFlags(scope.get(), hostId, draining, maintenance))));
  }

  private HostView setFlags(Broker broker, String hostId, Boolean draining, Boolean maintenance) {
    HostView view = broker.host(hostId).orElse(null);
    if (view == null) {
      return null;
    }
    if (draining != null) {
      view = broker.setDraining(hostId, draining);
    }
    if (maintenance != null) {
      view = broker.setMaintenance(hostId, maintenance);
    }
    if (draining != null) {
      tellAgent(view, AgentCommand.drain(draining));
    }
    return view;
  }

  /** Changes a session in the broker that holds it, then tells the agent of its host. */
  private Future<SessionView> sessionCommand(String sessionId, Supplier<Broker> scope,
      Function<Broker, SessionView> change, AgentCommand.ForSession command) {
    return onContext(() -> {
      Broker broker = scope.get();
      SessionView session = change.apply(broker);
      broker.host(session.hostId()).ifPresent(host -> tellAgent(host, command));
      return Future.succeededFuture(session);
    });
  }

  private void tellAgent(HostView host, AgentCommand command) {
    Requests channel = appliances.get(host.appliance());
    if (channel == null) {
      LOG.warn("Cannot reach host {}: its appliance {} has no tunnel", host.name(), host.appliance());
      return;
    }
    channel.request(BrokerOperations.AGENT_COMMAND, new JsonObject().put("hostId", host.id())
            .put("command", command.toJson()))
        .onFailure(e -> LOG.warn("Command {} for host {} failed: {}", command.kind().wireName(), host.name(),
            e.getMessage()));
  }

  /** Runs work an appliance of the location asked for against the location's broker, on this service's context. */
  private <T> Future<T> sync(String location, Function<Broker, T> work) {
    return onContext(() -> {
      heard(location);
      return Future.succeededFuture(work.apply(broker(location)));
    });
  }

  /** An appliance of the location reported: from a gap on, its hosts' silence counts from now. On the context. */
  private void heard(String location) {
    Duration gap = contacts.computeIfAbsent(location, l -> new LocationContact(clock, settings.silenceLimit()))
        .heard();
    if (!gap.isZero()) {
      LOG.atInfo().addKeyValue("location", location).addKeyValue("silentSeconds", gap.toSeconds())
          .log("Location {} reports again after {} s: its appliances' reports are authoritative, and a host counts as "
              + "silent only from now", location, gap.toSeconds());
    }
  }

  /** A query's sessions, newest first: one user's from that user's index, cheap however many others have. */
  private static List<SessionView> select(Broker broker, SessionQuery query) {
    List<SessionView> found = query.userId() != null ? broker.sessionsOf(query.userId(), query::matches)
        : broker.sessions(query::matches);
    return found.stream().limit(Math.max(1, query.limit())).toList();
  }

  private Broker broker(String location) {
    return brokers.computeIfAbsent(location, l -> new Broker(() -> modelFor(l), settings, clock, tally));
  }

  /** The location's part of the model, recomputed only when the model changed. */
  private SiteModel modelFor(String location) {
    SiteModel current = model;
    SiteModel cached = byLocation.get(location);
    if (cached == null || cached.version() != current.version()) {
      cached = current.forLocation(location);
      byLocation.put(location, cached);
    }
    return cached;
  }

  /** Runs {@code work} on this service's context; before it is deployed, a 503 (a tunnel may ask that early). */
  private <T> Future<T> onContext(Supplier<Future<T>> work) {
    if (context == null) {
      return Future.failedFuture(ServerErrorException.unavailable("the broker is starting; try again"));
    }
    return ContextHop.to(vertx, context, work);
  }

  private void refreshModel() {
    if (reloading) {
      return;
    }
    reloading = true;
    models.version()
        .compose(version -> version == model.version() ? Future.succeededFuture(model) : models.load())
        .onSuccess(loaded -> {
          if (loaded.version() != model.version()) {
            LOG.debug("Site model changed: version {} -> {}", model.version(), loaded.version());
          }
          model = loaded;
        })
        .onFailure(e -> LOG.debug("Cannot refresh the site model: {}", e.getMessage()))
        .onComplete(ar -> reloading = false);
  }

  private void sweep() {
    List<SessionView> lost = relinking.expire(clock.instant());
    if (!lost.isEmpty()) {
      lost.forEach(history::record);
      LOG.warn("{} session(s) open at the last stop ended: their hosts did not link again within {} min", lost.size(),
          RELINK_WAIT.toMinutes());
    }
    for (Map.Entry<String, Broker> entry : brokers.entrySet()) {
      LocationContact contact = contacts.get(entry.getKey());
      // no appliance of the location reports (or this hub was frozen): nothing says its hosts are gone
      List<String> silent = contact == null || !contact.linked() ? List.of()
          : entry.getValue().expireSilentHosts(contact.reportingSince());
      if (!silent.isEmpty()) {
        LOG.warn("Location {}: {} host(s) missed {} heartbeats and are unregistered", entry.getKey(), silent.size(),
            settings.missedHeartbeats());
      }
      entry.getValue().sweep(KEEP_ENDED);
    }
    census.refresh(brokers.values().stream().flatMap(b -> b.hosts().stream()).toList(), model);
  }

  /**
   * Brokering across every location, for the hub's own admin API: sessions and hosts (launches go through
   * an appliance of the location).
   */
  public BrokerClient adminClient() {
    return new AllLocations();
  }

  private final class AllLocations implements BrokerClient {

    @Override
    public Future<List<ResourceView>> resources(UserRef user) {
      return Future.failedFuture(ClientErrorException.badRequest("list resources through an appliance's store"));
    }

    @Override
    public Future<Placement> place(UserRef user, String resource) {
      return Future.failedFuture(ClientErrorException.badRequest("launch through an appliance of the location"));
    }

    @Override
    public Future<List<SessionView>> sessions(SessionQuery query) {
      return onContext(() -> Future.succeededFuture(brokers.values().stream()
          .flatMap(b -> b.sessions(query::matches).stream())
          .sorted(Comparator.comparing(SessionView::createdAt).reversed())
          .limit(Math.max(1, query.limit())).toList()));
    }

    @Override
    public Future<SessionView> logoff(String sessionId, String reason) {
      return sessionCommand(sessionId, () -> owner(sessionId), b -> b.end(sessionId, reason),
          new AgentCommand.Logoff(sessionId));
    }

    @Override
    public Future<SessionView> disconnect(String sessionId) {
      return sessionCommand(sessionId, () -> owner(sessionId), b -> b.markState(sessionId, SessionState.DISCONNECTED),
          new AgentCommand.Disconnect(sessionId));
    }

    @Override
    public Future<SessionView> markState(String sessionId, SessionState state) {
      return onContext(() -> Future.succeededFuture(owner(sessionId).markState(sessionId, state)));
    }

    @Override
    public Future<List<HostView>> hosts() {
      return onContext(() -> Future.succeededFuture(brokers.values().stream().flatMap(b -> b.hosts().stream())
          .sorted(Comparator.comparing(HostView::name)).toList()));
    }

    @Override
    public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
      return BrokerService.this.updateHost(hostId, draining, maintenance, () -> brokers.values().stream()
          .filter(b -> b.host(hostId).isPresent()).findFirst().orElse(broker("default")));
    }

    /** The location's broker that holds the session. */
    private Broker owner(String sessionId) {
      return brokers.values().stream().filter(b -> b.session(sessionId).isPresent()).findFirst()
          .orElseThrow(() -> ClientErrorException.notFound("no session " + sessionId));
    }
  }
}
