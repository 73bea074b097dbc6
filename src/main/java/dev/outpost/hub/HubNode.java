package dev.outpost.hub;

import dev.outpost.admin.AccessWithdrawal;
import dev.outpost.admin.AdminApi;
import dev.outpost.admin.AuditConfig;
import dev.outpost.broker.BrokerConfig;
import dev.outpost.broker.impl.BrokerService;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.PasswordHasher;
import dev.outpost.crypto.SecretBox;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.Database;
import dev.outpost.db.DbConfig;
import dev.outpost.db.DiskSpool;
import dev.outpost.gateway.Gateway;
import dev.outpost.gateway.GatewayConfig;
import dev.outpost.hosts.AgentDirectory;
import dev.outpost.http.HttpConfig;
import dev.outpost.http.MetricsConfig;
import dev.outpost.http.MetricsEndpoint;
import dev.outpost.http.HealthRoutes;
import dev.outpost.http.HealthRoutes.Check;
import dev.outpost.http.HttpListener;
import dev.outpost.http.ListenerCertificates;
import dev.outpost.http.Tls;
import dev.outpost.identity.AccountBootstrap;
import dev.outpost.identity.IdentityConfig;
import dev.outpost.identity.IdentityRoutes;
import dev.outpost.identity.InMemoryAttemptCounters;
import dev.outpost.identity.InMemorySessionStore;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.OneTimeMarks;
import dev.outpost.identity.RememberedDevices;
import dev.outpost.identity.SecondFactorCheck;
import dev.outpost.identity.StoredApiTokens;
import dev.outpost.identity.StoredSecondFactors;
import dev.outpost.identity.directory.DirectorySignIn;
import dev.outpost.identity.UserAccounts;
import dev.outpost.lease.AccountLeaseRevocation;
import dev.outpost.lease.LeaseAdminRoutes;
import dev.outpost.lease.LeaseConfig;
import dev.outpost.lease.impl.DeferredRevocations;
import dev.outpost.lease.impl.LeaseAuthority;
import dev.outpost.lease.impl.RevocationOutbox;
import dev.outpost.relay.TunnelProtocol;
import dev.outpost.renewal.CertificateGauges;
import dev.outpost.renewal.NodeCertificateRenewal;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * The standalone hub ({@code outpost hub}): the site model and its admin API, sign-in for admins, resource
 * locations with connector enrollment, the primary broker, and the tunnel endpoint appliances dial out to.
 * The caller owns the data-dir lock and prints {@link #announcements()}.
 */
public final class HubNode {

  /**
   * The parts of the configuration {@code outpost hub} runs on (the loader builds them, see {@code
   * OutpostConfig.hubSettings()}).
   *
   * @param adminPasswordFile the bootstrap admin's password, or {@code null} for a random one printed once
   * @param audit the audit log's checkpoints and syslog export
   * @param connectorValidity how long the certificates of the connectors (appliances) the hub issues are valid
   */
  public record Settings(Path dataDir, Path adminPasswordFile, DbConfig db, HttpConfig http, HubConfig hub,
      GatewayConfig gateway, IdentityConfig identity, BrokerConfig broker, LeaseConfig lease,
      MetricsConfig metrics, Duration connectorValidity, AuditConfig audit) {

    public Settings {
      Objects.requireNonNull(dataDir);
      Objects.requireNonNull(db);
      Objects.requireNonNull(http);
      Objects.requireNonNull(hub);
      Objects.requireNonNull(gateway);
      Objects.requireNonNull(identity);
      Objects.requireNonNull(broker);
      Objects.requireNonNull(lease);
      Objects.requireNonNull(metrics);
      Objects.requireNonNull(connectorValidity);
      Objects.requireNonNull(audit);
    }
  }

  private final Settings config;
  private final SiteCertificates certificates;
  private final Consumer<String> console;
  private final String nodeId = UUID.randomUUID().toString();
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private Vertx vertx;
  private Database db;
  private HubServer server;
  private HubRole role;
  private String serverDeployment;
  private SecretBox secrets;
  /** Whether the start-up has finished, the bootstrap admin made: readiness waits for it (see ApplianceNode). */
  private volatile boolean booted;
  private volatile boolean stopping;

  private HubNode(Settings config, SiteCertificates certificates, Consumer<String> console) {
    this.config = Objects.requireNonNull(config);
    this.certificates = Objects.requireNonNull(certificates);
    this.console = Objects.requireNonNull(console);
  }

  /**
   * @param console receives lines for the person at the terminal (the one-time admin password)
   */
  public static Future<HubNode> start(Settings config, SiteCertificates certificates, Consumer<String> console) {
    HubNode node = new HubNode(config, certificates, console);
    return node.boot().map(node).recover(e -> node.stop().transform(ignored -> Future.failedFuture(e)));
  }

  private Future<Void> boot() {
    try {
      secrets = SecretBox.loadOrCreate(config.dataDir().resolve("secrets").resolve("directory.key"));
    } catch (java.io.IOException e) {
      return Future.failedFuture(new IllegalStateException("cannot read or create the key for stored secrets in "
          + config.dataDir().resolve("secrets") + ": " + e.getMessage(), e));
    }
    vertx = Vertx.vertx();
    return Database.start(vertx, config.db(), config.dataDir())
        .compose(database -> {
          db = database;
          db.bindMetrics(metrics);
          role = new HubRole(vertx, db, secrets, certificates.caFingerprint(), config.broker(), config.lease(),
              config.dataDir(), metrics);
          return role.start();
        })
        .compose(v -> serve(role))
        .compose(v -> {
          PasswordHasher hasher = PasswordHasher.create();
          return new AccountBootstrap(vertx, db, hasher).ensureAdmin(config.adminPasswordFile());
        })
        .map(outcome -> {
          if (outcome.password() != null) {
            console.accept("Bootstrap admin created: user 'admin', password " + outcome.password()
                + "  (shown once; change it after signing in)");
          }
          booted = true;
          return null;
        });
  }

  private Future<Void> serve(HubRole role) {
    BrokerService broker = role.broker();
    LeaseAuthority leases = role.leases();
    PasswordHasher hasher = PasswordHasher.create();
    // the hub has no cluster: its failed sign-ins are counted in this process, with the same reserve-then-settle rule
    UserAccounts accounts = new UserAccounts(db, secrets);
    OneTimeMarks marks = OneTimeMarks.inMemory(Clock.systemUTC());
    LoginService logins = new LoginService(vertx, accounts, DirectorySignIn.none(), new InMemorySessionStore(),
        new InMemoryAttemptCounters(Clock.systemUTC()), hasher, config.identity(), metrics, Clock.systemUTC(),
        new LoginService.Factors(new SecondFactorCheck(new StoredSecondFactors(db, secrets), marks, Clock.systemUTC()),
            new RememberedDevices(secrets, config.identity().rememberDevice(), marks, Clock.systemUTC()),
            new StoredApiTokens(db, accounts, Clock.systemUTC())));
    Locations locations = new Locations(vertx, db, certificates, config.connectorValidity());
    DirectoryRelay directories = role.directories();
    HealthRoutes health = new HealthRoutes()
        .check("startup", () -> Future.succeededFuture(booted ? Check.up("started")
            : Check.down(stopping ? "stopping" : "starting")))
        .check("db", () -> db.ping().map(v -> Check.up("reachable")));
    // what takes access away reaches the connected appliances at once, not at their next sync
    AccessBroadcast broadcast = new AccessBroadcast((op, body) -> server.requestAll(op, body), accounts);
    AccessWithdrawal withdrawal = new AccountLeaseRevocation(broadcast::revoked, Clock.systemUTC())
        .andThen(AccessWithdrawal.afterCommit(broadcast::withdrawn));
    AdminApi admin = new AdminApi(vertx, db, logins, this::appliances, hasher, nodeId, new LocationTokenAuthority(),
        AgentDirectory.none(), broker.adminClient(), DiskSpool.inDataDir(vertx, config.dataDir(), "audit", metrics),
        new AdminApi.Options()
            .extensions(List.of(new LocationRoutes(db, locations), new LeaseAdminRoutes(db, accounts,
                leases, broadcast::revoked, List::of, RevocationOutbox.SHARED, Clock.systemUTC(),
                new DeferredRevocations(db, DiskSpool.inDataDir(vertx, config.dataDir(), "lease-revocations",
                    metrics)))))
            .withdrawal(withdrawal)
            .directories(secrets, () -> { }, directories)
            .audit(secrets, config.audit(), metrics));
    HttpServerOptions options = Tls.server(certificates, config.hub().host(), config.hub().port())
        .setMaxWebSocketMessageSize(TunnelProtocol.MAX_MESSAGE_BYTES)
        .setClientAuth(ClientAuth.REQUEST)
        .setTrustOptions(Tls.siteTrust(certificates));
    server = new HubServer(new HttpListener(options, config.http().headerTimeout()), locations,
        HubOperations.of(role, locations), health,
        Map.of("/api/v1", new IdentityRoutes(logins)::mount, AdminApi.MOUNT, admin::mount,
            ConnectorEnrollmentRoutes.MOUNT, new ConnectorEnrollmentRoutes(locations)::mount),
        config.http().maxBodyBytes());
    Gateway gateway = Gateway.hub(vertx, config.gateway(), server::requestLocation, server::authenticateAppliance,
        metrics);
    server.withRoutes(router -> {
      gateway.mount(router);
      MetricsEndpoint.mount(router, metrics, config.metrics().token());
    });
    return vertx.deployVerticle(server).compose(id -> {
      serverDeployment = id;
      return keepCertificatesCurrent(options);
    });
  }

  /**
   * Renews the hub's own certificate while it runs (the listener presents the new one at once) and reports the days
   * left of its certificate and CA.
   */
  private Future<Void> keepCertificatesCurrent(HttpServerOptions options) {
    ListenerCertificates listeners = new ListenerCertificates(certificates);
    listeners.track("hub", server.server(), options);
    certificates.onChange(change -> listeners.reload());
    CertificateGauges.register(metrics, "node", () -> Optional.of(certificates.nodeCertificate()));
    CertificateGauges.register(metrics, "hub-ca", () -> Optional.of(certificates.caCertificate()));
    return vertx.deployVerticle(new NodeCertificateRenewal(certificates, metrics)).mapEmpty();
  }

  private JsonObject appliances() {
    return new JsonObject().put("hub", nodeId).put("items", new JsonArray(List.copyOf(server.appliances().values())));
  }

  public int port() {
    return server.port();
  }

  public String caFingerprintDisplay() {
    return Fingerprints.display(certificates.caFingerprint());
  }

  public Future<Void> stop() {
    stopping = true;
    booted = false;
    Future<Void> chain = Future.succeededFuture();
    // the tunnels and the API first, then the role: no request reaches a broker service that is already gone
    if (serverDeployment != null) {
      String id = serverDeployment;
      chain = chain.compose(v -> vertx.undeploy(id).recover(e -> Future.succeededFuture()));
    }
    if (role != null) {
      HubRole started = role;
      chain = chain.compose(v -> started.stop());
    }
    if (vertx != null) {
      Vertx v0 = vertx;
      chain = chain.compose(v -> v0.deploymentIDs().isEmpty() ? Future.succeededFuture()
          : Future.join(v0.deploymentIDs().stream().map(id -> v0.undeploy(id).recover(e -> Future.succeededFuture()))
              .toList()).mapEmpty());
    }
    if (db != null) {
      chain = chain.compose(v -> db.close().recover(e -> Future.succeededFuture()));
    }
    if (vertx != null) {
      chain = chain.compose(v -> vertx.close().recover(e -> Future.succeededFuture()));
    }
    return chain;
  }
}
