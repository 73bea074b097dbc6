package dev.outpost.appliance;

import com.hazelcast.core.HazelcastInstance;
import dev.outpost.admin.AdminApi;
import dev.outpost.admin.Auditor;
import dev.outpost.admin.DemoSite;
import dev.outpost.admin.EnrollTokenAuthority;
import dev.outpost.appliance.config.ConfigKeys;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.cluster.ClusterBus;
import dev.outpost.cluster.ClusterConfig;
import dev.outpost.cluster.ClusterSeal;
import dev.outpost.cluster.ClusterSecret;
import dev.outpost.cluster.ClusterSetup;
import dev.outpost.cluster.MemberAuthenticator;
import dev.outpost.cluster.SealedMap;
import dev.outpost.crypto.ClusterKeys;
import dev.outpost.cluster.ClusterView;
import dev.outpost.cluster.SiteCaExchange;
import dev.outpost.cluster.LeaderWatch;
import dev.outpost.cluster.LocalControl;
import dev.outpost.cluster.NodeIdentity;
import dev.outpost.cluster.NodeDrain;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.PasswordHasher;
import dev.outpost.crypto.SecretBox;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.crypto.SshUserCa;
import dev.outpost.db.Database;
import dev.outpost.db.DiskSpool;
import dev.outpost.db.StoredSecretsKey;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.Failures;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokeringMode;
import dev.outpost.broker.LaunchService;
import dev.outpost.broker.UserSessionHistory;
import dev.outpost.gateway.Gateway;
import dev.outpost.gateway.StreamClosingBroker;
import dev.outpost.gateway.TicketStore;
import dev.outpost.gateway.impl.CertificateLogins;
import dev.outpost.gateway.impl.RawGatewayListener;
import dev.outpost.hosts.AgentEndpoint;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.hosts.EnrollmentLedger;
import dev.outpost.hosts.HostEvents;
import dev.outpost.http.HealthRoutes;
import dev.outpost.http.HealthRoutes.Check;
import dev.outpost.http.HttpListener;
import dev.outpost.http.ListenerCertificates;
import dev.outpost.http.Tls;
import dev.outpost.http.MetricsEndpoint;
import dev.outpost.identity.AccountOperations;
import dev.outpost.identity.AccountBootstrap;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.AccountJson;
import dev.outpost.identity.HazelcastAttemptCounters;
import dev.outpost.identity.DurableSessionStore;
import dev.outpost.identity.HazelcastSessionStore;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.OneTimeMarks;
import dev.outpost.identity.RememberedDevices;
import dev.outpost.identity.SecondFactorCheck;
import dev.outpost.identity.StoredApiTokens;
import dev.outpost.identity.StoredSecondFactors;
import dev.outpost.identity.StoredSessions;
import dev.outpost.identity.directory.DirectoryOperations;
import dev.outpost.identity.directory.DirectoryTable;
import dev.outpost.identity.directory.impl.DirectoryService;
import dev.outpost.lease.Lease;
import dev.outpost.lease.LeaseAdminRoutes;
import dev.outpost.lease.LeaseOperations;
import dev.outpost.lease.Revocation;
import dev.outpost.lease.impl.ApplianceLeases;
import dev.outpost.lease.impl.ApplianceRoster;
import dev.outpost.lease.impl.DeferredRevocations;
import dev.outpost.lease.impl.LeaseAuthority;
import dev.outpost.lease.impl.LeaseIssuer;
import dev.outpost.lease.impl.LeaseTrustCache;
import dev.outpost.lease.impl.Upstream;
import dev.outpost.relay.HubLinkMetrics;
import dev.outpost.relay.RelayedDirectorySettings;
import dev.outpost.renewal.CertificateGauges;
import dev.outpost.renewal.NodeCertificateRenewal;
import dev.outpost.renewal.SiteCaRotation;
import dev.outpost.recording.RecordingRetention;
import dev.outpost.recording.RecordingRoutes;
import dev.outpost.recording.Recordings;
import dev.outpost.renewal.SiteCaRoutes;
import dev.outpost.store.GatewayAddresses;
import dev.outpost.store.LaunchMetrics;
import dev.outpost.store.LeaseRoutes;
import dev.outpost.store.FavouriteRoutes;
import dev.outpost.store.ResourceRoutes;
import dev.outpost.store.SshCertificateRoutes;
import dev.outpost.store.StoreApi;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One appliance node ({@code outpost appliance}): wires the features together and runs them. Without a
 * configured hub it also runs the hub role in-process and reaches it over loopback, exactly as it would a
 * remote hub.
 */
public final class ApplianceNode {

  private static final Logger LOG = LoggerFactory.getLogger(ApplianceNode.class);

  private final OutpostConfig config;
  private final Console console;
  /** Kept in the data dir across restarts; read first thing at boot, under the data dir's lock. */
  private NodeIdentity identity;
  private String nodeId;
  private final List<String> deployments = new ArrayList<>();
  private DataDirLock lock;
  /** {@code cluster.*} with the secret this node proves (configured, or kept in the data dir). */
  private ClusterConfig cluster;
  /** Seals what this node keeps in the cluster's maps under the cluster secret. */
  private ClusterSeal seal;
  /** This node's cluster member; shut down after Vert.x, which does not own it. */
  private HazelcastInstance member;
  private SiteCertificates certificates;
  /** The site CA as the cluster shares it; a rotation goes through it. */
  private SiteCaExchange caExchange;
  private Vertx vertx;
  private Database db;
  /** Brokering and host reports: relayed to the in-process hub, or failing over to the local host cache. */
  private BrokerClient broker;
  private HostEvents hostEvents;
  private java.util.concurrent.CompletableFuture<dev.outpost.db.EmbeddedPostgres> embeddedStarting;
  /** This node's part in the site's replicated database, without {@code --db-url} and a separate hub. */
  private dev.outpost.db.replication.ReplicationSettings replication;
  /** What the site's database does when the authority moves; chosen once at boot. */
  private SiteDatabase siteDatabase = SiteDatabase.SHARED;
  /** The hub role as this node sees it: in this process, or a separate hub; chosen once at boot. */
  private HubSide hub;
  private HttpFrontDoor frontDoor;
  private AdminApi admin;
  private AgentEndpoint agents;
  private int httpsPort;
  private volatile int gatewayPort;
  private TicketStore tickets;
  private Gateway gateway;
  private SecretBox secrets;
  private DirectoryService directories;
  private LeaseTrustCache leaseTrust;
  /** Sign-in and sessions; set once the front door is wired. */
  private volatile LoginService logins;
  /** Taking this node out of service for a rolling upgrade ({@code outpost appliance drain-node}). */
  private NodeDrain drain;
  private final LocalControl control = LocalControl.create();
  /**
   * Whether the whole start-up has finished (the bootstrap admin and the demo made, the broker holding them).
   * Readiness waits for it: the listener binds before the bootstrap admin is made, so that a start that fails on a
   * busy port does not print (and lose) the one-time password.
   */
  private volatile boolean booted;
  private volatile boolean stopping;

  private ApplianceNode(OutpostConfig config, Console console) {
    this.config = Objects.requireNonNull(config);
    this.console = Objects.requireNonNull(console);
  }

  /** Starts a node; the future fails with a {@link StartupException} for anything the user can fix. */
  public static Future<ApplianceNode> start(OutpostConfig config, Console console) {
    ApplianceNode node = new ApplianceNode(config, console);
    return node.boot().map(node).recover(e -> node.stop().transform(ignored -> Future.failedFuture(e)));
  }

  private Future<Void> boot() {
    long began = System.nanoTime();
    try {
      lock = DataDirLock.acquire(config.dataDir());
      identity = NodeIdentity.loadOrCreate(config.dataDir(), config.http().publicNames());
      nodeId = identity.id();
    } catch (StartupException e) {
      return Future.failedFuture(e);
    } catch (IOException e) {
      return Future.failedFuture(new StartupException("cannot read or create the node id: " + e.getMessage(), e));
    }
    try {
      cluster = clusterSettings();
    } catch (IOException e) {
      return Future.failedFuture(new StartupException("cannot read or create the cluster secret in "
          + ClusterSecret.file(config.dataDir()) + ": " + e.getMessage(), e));
    }
    PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ClusterKeys keys = ClusterKeys.of(cluster.secret());
    seal = ClusterSeal.create(keys, metrics);
    MemberAuthenticator authenticator = new MemberAuthenticator(keys, metrics);
    SiteCertificates busCertificates = SiteCertificates.busAuthority(keys.busAuthority(), nodeId);
    // PostgreSQL and the cluster member take the longest to start: let them start side by side, the database off
    // the ports this node's listeners are configured with (they bind later, and a test may give them any port); a
    // node of a replicated site starts early only when it joins nobody (then it is the site's primary)
    boolean replicates = config.db().embedded() && config.hub().inProcess();
    if (!replicates) {
      embeddedStarting = config.db().embedded() ? Database.startEmbeddedEarly(config.dataDir(),
          Set.copyOf(List.of(cluster.port(), cluster.busPort(), config.http().port(), config.gateway().port())))
          : null;
    } else if (cluster.join().isEmpty()) {
      try {
        replication = ReplicatedDatabase.settings(config.dataDir(), nodeId, cluster.host(), cluster.join(),
            config.db().peerPort(), busCertificates, keys);
      } catch (IOException e) {
        return Future.failedFuture(new StartupException("cannot prepare the database's replication settings: "
            + e.getMessage(), e));
      }
      embeddedStarting = ReplicatedDatabase.startPrimaryEarly(config.dataDir(), replication);
    }
    // made anew at every start, in memory, for 825 days: shown so that every certificate the node holds is
    CertificateGauges.register(metrics, "cluster-bus", () -> Optional.of(busCertificates.nodeCertificate()));
    return startMember(authenticator)
        .compose(joined -> {
          member = joined;
          VertxOptions options = new VertxOptions()
              .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true))
              .setEventBusOptions(ClusterBus.options(busCertificates, busHost(joined), cluster.busPort()));
          return Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(metrics))
              .withClusterManager(ClusterSetup.clusterManager(joined)).buildClustered()
              .recover(e -> Future.failedFuture(new StartupException("cannot start the event bus on port "
                  + cluster.busPort() + " (" + Failures.rootMessage(e) + "); free the port or set "
                  + "--cluster-bus-port", e)));
        })
        .compose(v -> {
          vertx = v;
          return !replicates ? Future.succeededFuture() : onOwnThread("outpost-db-settings", () -> {
            if (replication == null) {
              replication = ReplicatedDatabase.settings(config.dataDir(), nodeId, busHost(member), cluster.join(),
                  config.db().peerPort(), busCertificates, keys);
            }
            siteDatabase = new ReplicatedDatabase(vertx, config.db(), config.dataDir(), replication, member, nodeId,
                metrics);
            return null;
          });
        })
        .compose(ignored -> {
          hub = config.hub().inProcess()
              ? new InProcessHubSide(vertx, config, nodeId, member, cluster.minMembers(), () -> secrets,
                  () -> certificates, metrics,
                  this::applianceOperation, this::deploy, () -> {
                    AgentEndpoint linked = agents;
                    if (linked != null) {
                      linked.registerAllAgain();
                    }
                  }, siteDatabase)
              : new RemoteHubSide(vertx, config, nodeId, member, seal, cluster.minMembers(), () -> certificates,
                  () -> secrets, this::applianceOperation, (hostId, command) -> agents.send(hostId, command),
                  () -> gateway, this::deploy, metrics);
          // a joining node may take the site CA from the cluster, and the hub enrollment needs the CA: both block, on
          // a thread of their own: the first enrollment runs a short-lived Vert.x, which must not start on a Vert.x one
          return onOwnThread("outpost-site-prepare", () -> prepareSite(member));
        })
        .compose(v -> {
          Future<Database> database = (siteDatabase instanceof ReplicatedDatabase replicated
              ? replicated.open(embeddedStarting) : Database.start(vertx, config.db(), embeddedStarting))
              .onSuccess(opened -> {
                db = opened;
                db.bindMetrics(metrics);
              });
          return database.compose(opened -> openStoredSecrets(opened, keys).compose(ignored -> hub.start(opened)));
        })
        .compose(v -> wire(member, metrics))
        .onSuccess(v -> {
          booted = true;
          long ms = (System.nanoTime() - began) / 1_000_000;
          LOG.atInfo().addKeyValue("ms", ms).log("Appliance ready on https port {}", httpsPort);
        });
  }

  /**
   * The key of the secrets stored in the database (directory bind passwords, lease signing keys): the one the
   * database keeps sealed under the cluster secret, so that every node sharing the database opens them.
   */
  private Future<Void> openStoredSecrets(Database opened, ClusterKeys keys) {
    return new StoredSecretsKey(vertx, opened, SecretBox.of(keys.storedSecrets()), storedSecretsFile(),
        List.of(DirectoryTable::sealedSample, LeaseAuthority::sealedSample, StoredSecondFactors::sealedSample,
            AdminApi::sealedSample, StoredSessions::sealedSample)).open()
        .recover(e -> Future.failedFuture(e instanceof IllegalStateException
            ? new StartupException(e.getMessage()) : e))
        .onSuccess(key -> secrets = key)
        .mapEmpty();
  }

  /** This node's copy of the key for stored secrets, which backups take. */
  private Path storedSecretsFile() {
    return config.dataDir().resolve("secrets").resolve("directory.key");
  }

  /** The cluster settings with the secret this node proves: the configured one, or the one kept in the data dir. */
  private ClusterConfig clusterSettings() throws IOException {
    ClusterConfig configured = config.cluster();
    if (configured.hasSecret()) {
      return configured;
    }
    return configured.withSecret(ClusterSecret.loadOrCreate(config.dataDir()));
  }

  /** Starts the cluster member on a thread of its own: it blocks until it has joined (or found nobody to join). */
  private Future<HazelcastInstance> startMember(MemberAuthenticator authenticator) {
    java.util.concurrent.CompletableFuture<HazelcastInstance> started = new java.util.concurrent.CompletableFuture<>();
    Thread starter = new Thread(() -> {
      try {
        started.complete(ClusterSetup.start(cluster, identity, Version.current(), authenticator));
      } catch (RuntimeException e) {
        started.completeExceptionally(e);
      }
    }, "outpost-cluster-start");
    starter.setDaemon(true);
    starter.start();
    return Future.fromCompletionStage(started).recover(e -> Future.failedFuture(new StartupException(
        "cannot start the cluster member on port " + cluster.port() + " (" + Failures.rootMessage(e) + "); free the "
            + "port or set --cluster-port", e)));
  }

  /** Runs blocking start-up work on a new thread, off every Vert.x thread; completes on the caller's context. */
  private <T> Future<T> onOwnThread(String name, java.util.concurrent.Callable<T> work) {
    java.util.concurrent.CompletableFuture<T> done = new java.util.concurrent.CompletableFuture<>();
    Thread worker = new Thread(() -> {
      try {
        done.complete(work.call());
      } catch (Exception | Error e) {
        done.completeExceptionally(e);
      }
    }, name);
    worker.setDaemon(true);
    worker.start();
    return Future.fromCompletionStage(done, vertx.getOrCreateContext());
  }

  /** Where the other nodes reach this node's event bus: the cluster address, or the one the member chose. */
  private String busHost(HazelcastInstance started) {
    return cluster.host().isEmpty() ? started.getCluster().getLocalMember().getAddress().getHost() : cluster.host();
  }

  /**
   * This node's certificates (its own, or the site CA adopted from the cluster it joins) and, with a separate hub,
   * its membership there. Blocking: runs on a worker.
   */
  private Void prepareSite(HazelcastInstance hazelcast) {
    Path tls = config.dataDir().resolve("tls");
    try {
      caExchange = new SiteCaExchange(hazelcast, cluster.secret(), cluster.join(), SiteCaExchange.ADOPT_DEADLINE);
      certificates = caExchange.loadOrAdopt(tls, config.location(), config.http().publicNames(),
          config.tls().nodeTerms());
    } catch (IllegalStateException e) {
      throw new StartupException(e.getMessage());
    } catch (IOException | RuntimeException e) {
      throw new StartupException("cannot prepare TLS certificates in " + tls + ": " + e.getMessage(), e);
    }
    hub.prepare();
    return null;
  }

  private Future<Void> wire(HazelcastInstance hazelcast, PrometheusMeterRegistry metrics) {
    PasswordHasher hasher = PasswordHasher.create();
    ClusterView cluster = new ClusterView(hazelcast, seal);
    AccountDirectory directory = hub.accounts();
    directories = new DirectoryService(vertx, new RelayedDirectorySettings(hub.channel()), db, hasher,
        config.directory(), Clock.systemUTC());
    // used codes and device proofs are refused on every node of the site, with the database down too
    OneTimeMarks marks = OneTimeMarks.cluster(vertx, SealedMap.of(hazelcast, OneTimeMarks.MAP_NAME, seal));
    logins = new LoginService(vertx, directory, directories,
        DurableSessionStore.create(vertx,
            new HazelcastSessionStore(vertx, SealedMap.of(hazelcast, HazelcastSessionStore.MAP_NAME, seal),
                SealedMap.of(hazelcast, HazelcastSessionStore.REVOCATIONS_MAP_NAME, seal)),
            new StoredSessions(db, secrets),
            DiskSpool.inDataDir(vertx, config.dataDir(), DurableSessionStore.SPOOL, metrics), Clock.systemUTC()),
        new HazelcastAttemptCounters(vertx, hazelcast.getMap(HazelcastAttemptCounters.MAP_NAME), Clock.systemUTC()),
        hasher, config.identity(), metrics, Clock.systemUTC(), new LoginService.Factors(
            new SecondFactorCheck(hub.secondFactors(), marks, Clock.systemUTC()),
            new RememberedDevices(secrets, config.identity().rememberDevice(), marks, Clock.systemUTC()),
            new StoredApiTokens(db, directory, Clock.systemUTC())));
    AccountBootstrap accounts = new AccountBootstrap(vertx, db, hasher);
    // Bind the listener first: a start that fails on a busy port must not print (and lose) the one-time password.
    Future<Void> serving = startFrontDoor(logins, directory, cluster, hasher, metrics, hazelcast);
    vertx.setPeriodic(0, 5_000, id -> publishStatus(cluster));
    serving = serving.onSuccess(v -> directories.start()).compose(v -> publishControl());
    return serving.compose(v -> hub.bootstrap(() -> accounts.ensureAdmin(config.adminPasswordFile())
        .compose(this::announceAdmin)
        .compose(x -> config.demo() ? createDemo(accounts) : Future.succeededFuture())));
  }

  /** Requests the hub sends down to this appliance. */
  private Function<JsonObject, Future<JsonObject>> applianceOperation(String op) {
    if (DirectoryOperations.TEST.equals(op)) {
      return body -> directories.test(body.getString("directoryId", ""), body.getString("username"),
          body.getString("password"));
    }
    if (DirectoryOperations.GROUPS.equals(op)) {
      return body -> directories.groups(body.getString("directoryId", ""), body.getString("query", ""))
          .map(items -> new JsonObject().put("items", items));
    }
    if (BrokerOperations.AGENT_COMMAND.equals(op)) {
      return body -> {
        JsonObject command = body.getJsonObject("command", new JsonObject());
        String sessionId = command.getString("sessionId");
        if (sessionId != null && ("disconnect".equals(command.getString("command"))
            || "logoff".equals(command.getString("command")))) {
          gateway.disconnect(sessionId);
        }
        return agents.send(body.getString("hostId", ""), command);
      };
    }
    if (LeaseOperations.REVOKED.equals(op) && leaseTrust != null) {
      return body -> leaseTrust.publish(Revocation.fromJson(body.getJsonObject("revocation", new JsonObject())))
          .map(v -> new JsonObject());
    }
    if (AccountOperations.ACCESS_WITHDRAWN.equals(op) && logins != null) {
      return this::accessWithdrawn;
    }
    return hub.downOperation(op);
  }

  /**
   * The hub says an account lost access: its sessions end on every node of this cluster (the hub's notice reaches
   * each node, whose local host cache takes the account's new state).
   */
  private Future<JsonObject> accessWithdrawn(JsonObject body) {
    if (!(body.getValue("userId") instanceof String userId) || userId.isEmpty()) {
      return Future.failedFuture(ClientErrorException.validation("userId is required"));
    }
    JsonObject account = body.getJsonObject("account");
    return logins.revokeUser(userId)
        .compose(v -> hub.hostCache().accountChanged(userId, account == null ? null : AccountJson.fromJson(account)))
        .map(v -> new JsonObject());
  }

  private Future<Void> startFrontDoor(LoginService logins, AccountDirectory accounts, ClusterView cluster,
      PasswordHasher hasher,
      PrometheusMeterRegistry metrics, HazelcastInstance hazelcast) {
    drain = new NodeDrain(vertx, drainTarget(cluster), Clock.systemUTC());
    HealthRoutes health = new HealthRoutes()
        .check("startup", () -> Future.succeededFuture(booted ? Check.up("started")
            : Check.down(stopping ? "stopping" : "starting")))
        .check("drain", drain::check)
        .check("db", this::dbCheck)
        .check("cluster", () -> Future.succeededFuture(cluster.running()
            ? Check.up(cluster.size() + " member(s)")
            : Check.down("cluster member is not running")))
        // no addresses here: anyone may read readiness; admins see the hub link in /admin/api/v1/nodes
        .check("hub", () -> Future.succeededFuture(hub.channel().reachable() ? Check.up("connected")
            : hub.brokeringLocally() ? Check.up("brokering locally from the local host cache")
                : Check.down("not connected")));
    broker = hub.broker();
    hostEvents = hub.hostEvents();
    tickets = new TicketStore(vertx, SealedMap.of(hazelcast, TicketStore.MAP_NAME, seal));
    Supplier<SshUserCa> sshUserCa = () -> certificates.sshUserCa(location());
    Recordings recordings = new Recordings(vertx, config.dataDir(), config.recording(), db::pool, Auditor.log(),
        nodeId, Clock.systemUTC());
    gateway = Gateway.create(vertx, config.gateway(), tickets, broker, logins, metrics,
        new CertificateLogins(vertx, sshUserCa, Clock.systemUTC(), SshUserCa.DEFAULT_VALIDITY), recordings);
    // users and admins who disconnect or log off a session also drop its live streams on this node
    BrokerClient sessions = new StreamClosingBroker(broker, gateway);
    GatewayAddresses addresses = gatewayAddresses();
    Upstream upstream = new Upstream() {
      @Override
      public Future<JsonObject> request(String op, JsonObject body) {
        return hub.channel().request(op, body);
      }

      @Override
      public boolean reachable() {
        return hub.channel().reachable();
      }
    };
    leaseTrust = new LeaseTrustCache(upstream, config.dataDir(), config.hub().syncInterval(),
        SealedMap.of(hazelcast, LeaseTrustCache.MAP_NAME, seal), hub.revocationOutbox(), nodeId,
        Clock.systemUTC());
    ApplianceRoster roster = new ApplianceRoster(SealedMap.of(hazelcast, ApplianceRoster.MAP_NAME, seal), nodeId,
        this::leaseEntry);
    LeaseIssuer issuer = new LeaseIssuer(hazelcast, seal, upstream, hub.locationModel(),
        lease -> leaseTrust.trust().revoked(lease).isPresent(), config.lease().issueRate(), Clock.systemUTC());
    // a lease of a disabled account is refused: all-in-one the database says so (its cached copy while it is down);
    // with a separate hub the local host cache's copy, which the hub updates at once and which outlives the hub
    ApplianceLeases leases = new ApplianceLeases(vertx, issuer, leaseTrust, roster,
        SealedMap.of(hazelcast, ApplianceLeases.PROOFS_MAP, seal), db, hub.leaseAccounts(), hub.revocationOutbox(),
        location(), addresses.hubGateway(), config.lease().proofWindow(), Clock.systemUTC());
    StoreApi store = new StoreApi(logins, this::status, new ResourceRoutes(logins, sessions,
        new LaunchService(sessions, tickets), addresses, new LaunchMetrics(metrics),
        new UserSessionHistory(hub.channel())),
        new LeaseRoutes(logins, leases, addresses, certificates::caFingerprint),
        new SshCertificateRoutes(logins, sessions, sshUserCa, Clock.systemUTC()),
        new FavouriteRoutes(logins, sessions, hub.channel()));
    EnrollmentLedger ledger = hub.enrollment();
    agents = new AgentEndpoint(vertx, ledger, certificates, hostEvents, nodeId, AgentEndpoint.Settings.DEFAULTS
        .withCertificates(config.tls().agentValidity(), config.tls().renewAtPercent()), Clock.systemUTC(),
        roster::urls).bindMetrics(metrics);
    SiteCaRotation rotation = new SiteCaRotation(vertx, certificates, caExchange, config.location()).start();
    HubLinkMetrics.bind(metrics, hub.channel(), () -> hub.brokeringLocally() ? BrokeringMode.LOCAL
        : BrokeringMode.HUB);
    LeaderWatch.start(hazelcast, metrics);
    admin = new AdminApi(vertx, db, logins,
        () -> new JsonObject().put("cluster", cluster.clusterName()).put("items", cluster.members()), hasher, nodeId,
        EnrollTokenAuthority.site(certificates::caFingerprint), agents, sessions,
        DiskSpool.inDataDir(vertx, config.dataDir(), "audit", metrics), new AdminApi.Options()
            .extensions(List.of(new LeaseAdminRoutes(db, accounts, hub.leaseAuthority().orElse(null),
                leaseTrust::publish, () -> leaseTrust.trust().revocations(), hub.revocationOutbox(),
                Clock.systemUTC(), new DeferredRevocations(db, DiskSpool.inDataDir(vertx, config.dataDir(),
                    "lease-revocations", metrics))),
                new SiteCaRoutes(rotation,
                    raw -> ConfigKeys.duration(raw, SiteCaRotation.MIN_OVERLAP, SiteCaRotation.MAX_OVERLAP)),
                new RecordingRoutes(recordings)))
            // accounts change here only all-in-one (with a separate hub, at the hub): their leases end everywhere
            .withdrawal(hub.accessWithdrawal(leaseTrust::publish))
            .managedBy(hub.managedBy())
            .writeRefusal(hub::writeRefusal)
            .directories(secrets, directories::invalidate, directories)
            .drain(drain, control)
            .audit(secrets, config.audit(), metrics));
    java.util.function.Consumer<Router> root = router -> {
      health.mount(router);
      MetricsEndpoint.mount(router, metrics, config.metrics().token());
      gateway.mount(router);
    };
    int instances = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    HttpFrontDoor[] first = new HttpFrontDoor[1];
    ListenerCertificates listeners = new ListenerCertificates(certificates);
    return deploy(leaseTrust).compose(v -> deploy(issuer)).compose(v -> deploy(new RecordingRetention(recordings)))
        .compose(v -> startRawGateway(instances, listeners))
        .compose(v -> vertx.deployVerticle(() -> {
      HttpFrontDoor door = new HttpFrontDoor(new HttpListener(Tls.frontDoor(certificates, config.http().host(),
          config.http().port()), config.http().headerTimeout()), config.http().maxBodyBytes(), root,
          Map.of(StoreApi.MOUNT, store::mount, AdminApi.MOUNT, admin::mount, AgentLinkProtocol.MOUNT, agents::mount));
      if (first[0] == null) {
        first[0] = door;
      }
      return door;
    }, new DeploymentOptions().setInstances(instances))
        .recover(e -> Future.failedFuture(new StartupException("cannot listen on HTTPS port " + config.http().port()
            + " (" + Failures.rootMessage(e) + "); free the port or set --https-port", e)))
        .map(id -> {
          deployments.add(id);
          frontDoor = first[0];
          httpsPort = frontDoor.actualPort();
          listeners.track("HTTPS", frontDoor.server(), frontDoor.listener().options());
          return null;
        }))
        .compose(v -> deploy(roster))
        .compose(v -> keepCertificatesCurrent(listeners, metrics));
  }

  /**
   * Renews the node certificate while the node runs and hands every change of the node's certificates on: the
   * listeners present the new ones, and the agents learn of new CAs. Reports every certificate's days left.
   */
  private Future<Void> keepCertificatesCurrent(ListenerCertificates listeners, PrometheusMeterRegistry metrics) {
    certificates.onChange(change -> {
      listeners.reload();
      if (change == SiteCertificates.Change.TRUSTED_CAS) {
        agents.trustChanged();
      }
    });
    CertificateGauges.register(metrics, "node", () -> Optional.of(certificates.nodeCertificate()));
    CertificateGauges.register(metrics, "site-ca", () -> Optional.of(certificates.caCertificate()));
    CertificateGauges.register(metrics, "site-ca-retired", () -> certificates.rotation()
        .map(SiteCertificates.Rotation::retired));
    return deploy(new NodeCertificateRenewal(certificates, metrics));
  }

  /** This node as connection leases name it: the first public name (else the host name) and its ports. */
  private Lease.Appliance leaseEntry() {
    String name = config.http().publicNames().isEmpty() ? ApplianceNames.localHostName()
        : config.http().publicNames().get(0);
    String host = name.contains(":") && !name.startsWith("[") ? "[" + name + "]" : name;
    return new Lease.Appliance("https://" + host + ":" + httpsPort, host + ":" + gatewayPort,
        "wss://" + host + ":" + httpsPort + "/gateway", certificates.caFingerprint());
  }

  private String location() {
    return hub.location();
  }

  /** Where clients present tickets; with a separate hub, its rendezvous gateway too. */
  private GatewayAddresses gatewayAddresses() {
    return hub.gatewayAddresses(new GatewayAddresses(() -> gatewayPort));
  }

  /** The raw TLS gateway port, one listener per event loop like the HTTPS front door. */
  private Future<Void> startRawGateway(int instances, ListenerCertificates listeners) {
    var options = Tls.netServer(certificates, config.http().host(), config.gateway().port(),
        config.gateway().handshakeTimeout().toMillis());
    RawGatewayListener[] first = new RawGatewayListener[1];
    return vertx.deployVerticle(() -> {
      RawGatewayListener listener = gateway.rawListener(options);
      if (first[0] == null) {
        first[0] = listener;
      }
      return listener;
    }, new DeploymentOptions().setInstances(instances))
        .recover(e -> Future.failedFuture(new StartupException("cannot listen on gateway port "
            + config.gateway().port() + " (" + Failures.rootMessage(e) + "); free the port or set --gateway-port", e)))
        .map(id -> {
          deployments.add(id);
          gatewayPort = first[0].actualPort();
          listeners.track("gateway", first[0].server(), options);
          return null;
        });
  }

  private Future<Void> announceAdmin(AccountBootstrap.Outcome outcome) {
    if (outcome.password() != null) {
      console.line("Bootstrap admin created: user 'admin', password " + outcome.password()
          + "  (shown once; change it after signing in)");
    } else if (outcome.created()) {
      console.line("Bootstrap admin created: user 'admin' with the password from " + config.adminPasswordFile());
    }
    return Future.succeededFuture();
  }

  private Future<Void> createDemo(AccountBootstrap accounts) {
    return accounts.ensureUser("demo", "Demo User")
        .compose(outcome -> {
          if (outcome.password() != null) {
            console.line("Demo user created: user 'demo', password " + outcome.password() + "  (shown once)");
          }
          return new DemoSite(db, config.demoSshPort()).ensure("demo");
        });
  }

  /** This node's state as the other members list it: mode, hub link, database, agents and streams. */
  private void publishStatus(ClusterView cluster) {
    if (gateway == null || agents == null) {
      return;
    }
    JsonObject status = status();
    db.ping().transform(ar -> {
      cluster.publishStatus(nodeId, status
          .put("health", ar.succeeded() ? "up" : "degraded")
          .put("db", ar.succeeded() ? "up" : "down: " + Failures.rootMessage(ar.cause()))
          .put("database", db.description())
          .put("hubLink", hub.channel().describe())
          .put("agents", agents.linked().size())
          .put("gatewayStreams", gateway.connections())
          .put("updatedAt", java.time.Instant.now().toString()));
      return Future.succeededFuture();
    });
  }

  /** Whether the database answers; where it is shows in {@code /admin/api/v1/nodes} only. */
  private Future<Check> dbCheck() {
    return db.ping().map(v -> Check.up("reachable"))
        .recover(e -> Future.succeededFuture(Check.down("not reachable")));
  }

  private JsonObject status() {
    boolean hubUp = hub != null && hub.channel() != null && hub.channel().reachable();
    return new JsonObject()
        .put("mode", hub == null ? BrokeringMode.HUB.wireName() : hub.mode())
        .put("location", location())
        .put("hub", new JsonObject().put("reachable", hubUp))
        .put("version", Version.current())
        .put("draining", drain != null && drain.draining());
  }

  /** What a drain acts on here: the agent links, the gateway's streams, and the status the cluster sees. */
  private NodeDrain.Node drainTarget(ClusterView cluster) {
    return new NodeDrain.Node() {
      @Override
      public Future<Integer> handOffAgents() {
        return agents.handOffAll();
      }

      @Override
      public int liveStreams() {
        return gateway.connections();
      }

      @Override
      public void changed() {
        publishStatus(cluster);
      }
    };
  }

  /** Writes the data dir's local control credential, with which {@code drain-node} on this machine reaches us. */
  private Future<Void> publishControl() {
    String host = config.http().host();
    String local = host == null || host.isEmpty() || "0.0.0.0".equals(host) || "::".equals(host) ? "localhost" : host;
    return control.publish(vertx, config.dataDir(), nodeId, "https://" + local + ":" + httpsPort,
        certificates.caFingerprint());
  }

  /** Completes when a finished drain asks this process to stop. */
  public Future<Void> stopRequested() {
    return drain == null ? Promise.<Void>promise().future() : drain.stopRequested();
  }

  private Future<Void> deploy(io.vertx.core.Deployable verticle) {
    return vertx.deployVerticle(verticle).map(id -> {
      deployments.add(id);
      return null;
    });
  }

  /** This node's id in the cluster and towards the hub; hosts linked here are registered under it. */
  public String nodeId() {
    return nodeId;
  }

  public int httpsPort() {
    return httpsPort;
  }

  /** The port the raw TLS gateway listens on. */
  public int gatewayPort() {
    return gatewayPort;
  }

  /** The cluster-wide launch tickets; for tests and operational tooling. */
  /** This node's cluster member; for tests and operational tooling. */
  public HazelcastInstance clusterMember() {
    return member;
  }

  /** The cluster settings this node runs with, its secret included; for tests and {@code join-command}. */
  public ClusterConfig clusterConfig() {
    return cluster;
  }

  public TicketStore tickets() {
    return tickets;
  }

  /** The site's lease authority when the hub role runs in this node, else {@code null}; for tests and tooling. */
  public LeaseAuthority leaseAuthority() {
    return hub == null ? null : hub.leaseAuthority().orElse(null);
  }

  /** This node's session gateway. */
  public Gateway gateway() {
    return gateway;
  }

  public String caFingerprint() {
    return certificates.caFingerprint();
  }

  public String caFingerprintDisplay() {
    return Fingerprints.display(certificates.caFingerprint());
  }

  public SiteCertificates certificates() {
    return certificates;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The node's database; for tests and operational tooling. */
  public Database database() {
    return db;
  }

  /** Where this node reports the session hosts linked to it (relayed to the hub's broker). */
  public HostEvents hostEvents() {
    return hostEvents;
  }

  /** The agent endpoint of this node: its linked agents and the commands sent to them. */
  public AgentEndpoint agentEndpoint() {
    return agents;
  }

  /** The admin API this node serves, e.g. to list its routes. */
  public AdminApi adminApi() {
    return admin;
  }

  /** Stops everything that started, in reverse order; never fails. */
  public Future<Void> stop() {
    stopping = true;
    booted = false;
    if (agents != null) {
      agents.handOffAll(); // the hosts are not lost: their agents link again, here after a restart or to another node
    }
    Future<Void> chain = Future.succeededFuture();
    if (vertx != null) {
      List<String> ids = new ArrayList<>(deployments);
      java.util.Collections.reverse(ids);
      for (String id : ids) {
        chain = chain.compose(v -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
      }
      deployments.clear();
    }
    if (hub != null) {
      HubSide side = hub;
      chain = chain.compose(v -> side.stop());
    }
    if (db != null) {
      chain = chain.compose(v -> db.close().recover(e -> Future.succeededFuture()));
    } else if (embeddedStarting != null) {
      // start-up failed before the database took ownership of the embedded server: stop it (off the event loop)
      // and only then report the node stopped, so that nothing writes in the data dir afterwards
      chain = chain.compose(v -> Future
          .fromCompletionStage(embeddedStarting.thenAcceptAsync(ApplianceNode::closeQuietly))
          .recover(e -> Future.succeededFuture()));
    }
    SiteDatabase site = siteDatabase;
    chain = chain.compose(v -> site.stop());
    if (vertx != null) {
      Vertx v0 = vertx;
      chain = chain.compose(v -> v0.close().recover(e -> Future.succeededFuture()));
    }
    if (member != null) {
      HazelcastInstance m0 = member;
      member = null;
      chain = chain.compose(v -> Future.fromCompletionStage(java.util.concurrent.CompletableFuture.runAsync(
          () -> m0.getLifecycleService().shutdown(), runnable -> new Thread(runnable, "outpost-cluster-stop").start()))
          .recover(e -> Future.succeededFuture()));
    }
    return chain.onComplete(ar -> {
      if (lock != null) {
        lock.close();
        lock = null;
      }
    });
  }

  private static void closeQuietly(AutoCloseable resource) {
    try {
      resource.close();
    } catch (Exception e) {
      LOG.warn("Could not close {} cleanly: {}", resource.getClass().getSimpleName(), e.getMessage());
    }
  }

}
