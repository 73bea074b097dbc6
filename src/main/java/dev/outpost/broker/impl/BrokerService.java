package dev.outpost.broker.impl;

import dev.outpost.hub.HubOperations;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.Launch;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.SiteModel;
import dev.outpost.broker.SiteModelJson;
import dev.outpost.cluster.ContextHop;
import dev.outpost.db.Database;
import dev.outpost.db.DatabaseUnavailableException;
import dev.outpost.db.DiskSpool;
import dev.outpost.error.ClientErrorException;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
public final class BrokerService extends VerticleBase implements HubOperations {

  private static final Logger LOG = LoggerFactory.getLogger(BrokerService.class);
  /** The spool of session history under {@code data-dir/spool/}. */
  static final String HISTORY_SPOOL = "session-history";
  private static final Duration MODEL_POLL = Duration.ofMillis(500);
  private static final Duration SWEEP = Duration.ofSeconds(5);
  private static final Duration KEEP_ENDED = Duration.ofMinutes(10);

  private final Database db;
  private final Broker.Settings settings;
  private final Clock clock;
  private final SiteModelLoader models;
  private final java.nio.file.Path dataDir;
  private final MeterRegistry metrics;
  private SessionHistory history;
  private final Map<String, Broker> brokers = new HashMap<>();
  private final Map<String, SiteModel> byLocation = new HashMap<>();
  /** The tunnel to each appliance node, for commands to the agents it holds. */
  private final Map<String, ApplianceChannel> appliances = new ConcurrentHashMap<>();
  private volatile SiteModel model = SiteModel.empty();
  private boolean reloading;

  /**
   * @param dataDir where session history waits on disk while the database cannot be reached
   * @param metrics where the size of that spool is reported
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
    return models.load().onSuccess(loaded -> model = loaded).onSuccess(loaded -> {
      vertx.setPeriodic(MODEL_POLL.toMillis(), id -> refreshModel());
      vertx.setPeriodic(SWEEP.toMillis(), id -> sweep());
      history.start(vertx);
      LOG.info("Broker ready (site model version {})", loaded.version());
    });
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

  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    appliances.put(caller.node(), caller.channel());
    return switch (op) {
      case BrokerOperations.HOSTS_REGISTER -> body -> register(caller, body);
      case BrokerOperations.HOSTS_HEARTBEAT -> body -> sync(caller, b -> {
        b.heartbeat(Heartbeat.fromJson(body.getJsonObject("heartbeat", new JsonObject())));
        return new JsonObject();
      });
      // an agent that moved to another node stays registered when its old node reports the link lost
      case BrokerOperations.HOSTS_LOST -> body -> sync(caller, b -> new JsonObject().put("known",
          b.lostThrough(body.getString("hostId", ""), caller.node(), body.getString("reason", "agent link lost"))));
      case BrokerOperations.HOSTS_LIST -> body -> sync(caller, b -> items(b.hosts().stream().map(HostView::toJson)
          .toList()));
      case BrokerOperations.HOSTS_UPDATE -> body -> updateHost(caller, body);
      case BrokerOperations.RESOURCES -> body -> sync(caller, b -> items(b.enumerate(user(body)).stream()
          .map(r -> r.toJson()).toList()));
      case BrokerOperations.LAUNCH -> body -> sync(caller, b -> b.launch(user(body), required(body, "resource"))
          .toJson());
      case BrokerOperations.SESSIONS_LIST -> body -> sync(caller, b -> {
        SessionQuery query = SessionQuery.fromJson(body.getJsonObject("query", new JsonObject()));
        List<SessionView> found = query.userId() != null ? b.sessionsOf(query.userId(), query::matches)
            : b.sessions(query::matches);
        return items(found.stream().limit(Math.max(1, query.limit())).map(SessionView::toJson).toList());
      });
      case BrokerOperations.SESSIONS_LOGOFF -> body -> sessionCommand(caller, body, "logoff");
      case BrokerOperations.SESSIONS_DISCONNECT -> body -> sessionCommand(caller, body, "disconnect");
      case BrokerOperations.SESSIONS_STATE -> body -> sync(caller, b -> b.markState(required(body, "sessionId"),
          SessionState.fromWire(required(body, "state"))).toJson());
      case BrokerOperations.SITE_SNAPSHOT -> body -> onContext(() -> {
        SiteModel location = modelFor(caller.location());
        return Future.succeededFuture(location.version() == body.getLong("haveVersion", -1L)
            ? new JsonObject().put("unchanged", true)
            : new JsonObject().put("model", SiteModelJson.toJson(location)));
      });
      case BrokerOperations.SESSIONS_ADOPT -> body -> sync(caller, b -> {
        int adopted = 0;
        for (Object item : body.getJsonArray("items", new JsonArray())) {
          try {
            b.adopt(SessionView.fromJson((JsonObject) item), caller.node());
            adopted++;
          } catch (ClientErrorException e) {
            LOG.warn("Could not take over a session from appliance {}: {}", caller.node(), e.getMessage());
          }
        }
        LOG.atInfo().addKeyValue("node", caller.node()).addKeyValue("sessions", adopted)
            .log("Took over sessions brokered while the hub could not be reached");
        return new JsonObject().put("adopted", adopted);
      });
      default -> null;
    };
  }

  private Future<JsonObject> register(Caller caller, JsonObject body) {
    HostRegistration registration = HostRegistration.fromJson(body.getJsonObject("registration", new JsonObject()));
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
          return sync(caller, b -> {
            b.register(registration, draining, maintenance);
            JsonArray ports = new JsonArray();
            modelFor(caller.location()).resources().values().stream()
                .filter(r -> r.poolId().equals(registration.poolId()))
                .map(SiteModel.Resource::port).distinct().sorted().forEach(ports::add);
            LOG.atInfo().addKeyValue("host", registration.name()).addKeyValue("node", caller.node())
                .log("Host registered");
            return new JsonObject().put("ports", ports).put("heartbeatSeconds",
                settings.heartbeatInterval().toSeconds());
          });
        });
  }

  private Future<JsonObject> updateHost(Caller caller, JsonObject body) {
    return updateHost(body, () -> broker(caller.location()));
  }

  private Future<JsonObject> updateHost(JsonObject body, Supplier<Broker> scope) {
    String hostId = required(body, "hostId");
    Boolean draining = body.getBoolean("draining");
    Boolean maintenance = body.getBoolean("maintenance");
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
            : onContext(() -> Future.succeededFuture(scope.get())).map(b -> {
              HostView view = b.host(hostId).orElse(null);
              if (view == null) {
                return new JsonObject().put("id", hostId).put("state", "unregistered");
              }
              if (draining != null) {
                view = b.setDraining(hostId, draining);
              }
              if (maintenance != null) {
                view = b.setMaintenance(hostId, maintenance);
              }
              if (draining != null) {
                tellAgent(view, new JsonObject().put("command", draining ? "drain" : "undrain"));
              }
              return view.toJson();
            }));
  }

  private Future<JsonObject> sessionCommand(Caller caller, JsonObject body, String command) {
    return sessionCommand(body, command, () -> broker(caller.location()));
  }

  private Future<JsonObject> sessionCommand(JsonObject body, String command, Supplier<Broker> scope) {
    String sessionId = required(body, "sessionId");
    return onContext(() -> Future.succeededFuture(scope.get())).map(b -> {
      SessionView session = "logoff".equals(command)
          ? b.end(sessionId, body.getString("reason", "logged off"))
          : b.markState(sessionId, SessionState.DISCONNECTED);
      b.host(session.hostId()).ifPresent(host -> tellAgent(host, new JsonObject().put("command", command)
          .put("sessionId", sessionId)));
      return session.toJson();
    });
  }

  private void tellAgent(HostView host, JsonObject command) {
    ApplianceChannel channel = appliances.get(host.appliance());
    if (channel == null) {
      LOG.warn("Cannot reach host {}: its appliance {} has no tunnel", host.name(), host.appliance());
      return;
    }
    channel.request(BrokerOperations.AGENT_COMMAND, new JsonObject().put("hostId", host.id()).put("command", command))
        .onFailure(e -> LOG.warn("Command {} for host {} failed: {}", command.getString("command"), host.name(),
            e.getMessage()));
  }

  /** Runs work against the caller's location broker on this service's context. */
  private Future<JsonObject> sync(Caller caller, Function<Broker, JsonObject> work) {
    return onContext(() -> Future.succeededFuture(work.apply(broker(caller.location()))));
  }

  private Broker broker(String location) {
    return brokers.computeIfAbsent(location, l -> new Broker(() -> modelFor(l), settings, clock, history::record));
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

  private <T> Future<T> onContext(Supplier<Future<T>> work) {
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
    for (Map.Entry<String, Broker> entry : brokers.entrySet()) {
      List<String> silent = entry.getValue().expireSilentHosts();
      if (!silent.isEmpty()) {
        LOG.warn("Location {}: {} host(s) missed {} heartbeats and are unregistered", entry.getKey(), silent.size(),
            settings.missedHeartbeats());
      }
      entry.getValue().sweep(KEEP_ENDED);
    }
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
    public Future<Launch> launch(UserRef user, String resource) {
      return Future.failedFuture(ClientErrorException.badRequest("launch through an appliance of the location"));
    }

    @Override
    public Future<List<SessionView>> sessions(SessionQuery query) {
      return onContext(() -> Future.succeededFuture(brokers.values().stream()
          .flatMap(b -> b.sessions(query::matches).stream())
          .sorted(java.util.Comparator.comparing(SessionView::createdAt).reversed())
          .limit(Math.max(1, query.limit())).toList()));
    }

    @Override
    public Future<SessionView> logoff(String sessionId, String reason) {
      return sessionCommand(new JsonObject().put("sessionId", sessionId).put("reason", reason), "logoff",
          () -> owner(b -> b.session(sessionId).isPresent(), "no session " + sessionId)).map(SessionView::fromJson);
    }

    @Override
    public Future<SessionView> disconnect(String sessionId) {
      return sessionCommand(new JsonObject().put("sessionId", sessionId), "disconnect",
          () -> owner(b -> b.session(sessionId).isPresent(), "no session " + sessionId)).map(SessionView::fromJson);
    }

    @Override
    public Future<SessionView> markState(String sessionId, SessionState state) {
      return onContext(() -> Future.succeededFuture(owner(b -> b.session(sessionId).isPresent(), "no session "
          + sessionId).markState(sessionId, state)));
    }

    @Override
    public Future<List<HostView>> hosts() {
      return onContext(() -> Future.succeededFuture(brokers.values().stream().flatMap(b -> b.hosts().stream())
          .sorted(java.util.Comparator.comparing(HostView::name)).toList()));
    }

    @Override
    public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
      JsonObject body = new JsonObject().put("hostId", hostId).put("draining", draining).put("maintenance", maintenance);
      return BrokerService.this.updateHost(body, () -> brokers.values().stream()
              .filter(b -> b.host(hostId).isPresent()).findFirst().orElse(broker("default")))
          .map(json -> json.containsKey("lastSeen") ? HostView.fromJson(json) : null);
    }

    private Broker owner(java.util.function.Predicate<Broker> has, String missing) {
      return brokers.values().stream().filter(has).findFirst()
          .orElseThrow(() -> ClientErrorException.notFound(missing));
    }
  }

  private static UserRef user(JsonObject body) {
    JsonObject user = body.getJsonObject("user");
    if (user == null || user.getString("id") == null) {
      throw ClientErrorException.validation("user is required");
    }
    return UserRef.fromJson(user);
  }

  private static String required(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (!(value instanceof String text) || text.isEmpty()) {
      throw ClientErrorException.validation(field + " is required");
    }
    return text;
  }

  private static JsonObject items(List<JsonObject> items) {
    return new JsonObject().put("items", new JsonArray(items));
  }
}
