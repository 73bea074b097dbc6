package dev.outpost.appliance;

import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.broker.impl.Broker;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokeringMode;
import dev.outpost.broker.SiteModel;
import dev.outpost.crypto.SecretBox;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.Failures;
import dev.outpost.hosts.EnrollmentLedger;
import dev.outpost.hosts.HostEvents;
import dev.outpost.hosts.impl.DatabaseEnrollmentLedger;
import dev.outpost.broker.impl.BrokerService;
import dev.outpost.broker.impl.BrokerWire.HubBroker;
import dev.outpost.hub.DirectoryRelay;
import dev.outpost.hub.HubOperations;
import dev.outpost.hub.IdentityOperations;
import dev.outpost.hub.InProcessHub;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.AccountOperations;
import dev.outpost.identity.UserAccounts;
import dev.outpost.identity.directory.DirectoryTable;
import dev.outpost.lease.impl.LeaseAuthority;
import dev.outpost.relay.HubChannel;
import dev.outpost.relay.LocalHostCache;
import dev.outpost.store.GatewayAddresses;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub role in this process (an all-in-one appliance): the broker service, the lease authority, the directory
 * relay and account lookups on the node's database, reached without a socket ({@link InProcessHub}) through the
 * same operations a separate hub offers a node's tunnel. Brokering skips even the operations' JSON: the node calls
 * the broker service's typed view of it.
 */
final class InProcessHubSide implements HubSide {

  private static final Logger LOG = LoggerFactory.getLogger(InProcessHubSide.class);

  private final Vertx vertx;
  private final OutpostConfig config;
  private final String nodeId;
  private final SecretBox secrets;
  private final Supplier<SiteCertificates> certificates;
  private final MeterRegistry metrics;
  private final Function<Deployable, Future<Void>> deploy;
  private final InProcessHub channel;
  private final LocalHostCache hostCache;
  private Database db;
  private BrokerService brokerService;
  /** The hub role's broker for this node, called without a wire form. */
  private HubBroker broker;
  private LeaseAuthority leaseAuthority;
  private DirectoryRelay directoryRelay;
  private AccountDirectory accounts;
  private EnrollmentLedger enrollment;
  private volatile SiteModel locationModel;

  /**
   * @param down the node's own operations, for what the hub role sends down to it
   * @param deploy deploys a verticle of this side so that the node undeploys it when it stops
   */
  InProcessHubSide(Vertx vertx, OutpostConfig config, String nodeId, SecretBox secrets,
      Supplier<SiteCertificates> certificates, MeterRegistry metrics,
      Function<String, Function<JsonObject, Future<JsonObject>>> down, Function<Deployable, Future<Void>> deploy) {
    this.vertx = Objects.requireNonNull(vertx);
    this.config = Objects.requireNonNull(config);
    this.nodeId = Objects.requireNonNull(nodeId);
    this.secrets = Objects.requireNonNull(secrets);
    this.certificates = Objects.requireNonNull(certificates);
    this.metrics = Objects.requireNonNull(metrics);
    this.deploy = Objects.requireNonNull(deploy);
    this.channel = new InProcessHub(vertx, this::operation, config.location(), nodeId, down,
        () -> brokerService != null && leaseAuthority != null);
    // the hub role is always at hand, but its database may not be: sign-in falls back to this cache
    this.hostCache = new LocalHostCache(channel, config.dataDir(), config.hub().syncInterval());
  }

  @Override
  public void prepare() {
    // nothing to enroll with: the hub role is this process
  }

  @Override
  public Future<Void> start(Database database) {
    this.db = Objects.requireNonNull(database);
    UserAccounts stored = new UserAccounts(db);
    accounts = username -> stored.find(username).recover(e -> e instanceof ClientErrorException
        ? Future.failedFuture(e) : cachedAccount(username, e));
    enrollment = new DatabaseEnrollmentLedger(db);
    directoryRelay = new DirectoryRelay(db, new DirectoryTable(db, secrets), Clock.systemUTC());
    BrokerService service = new BrokerService(db, Broker.Settings.of(config.broker().heartbeatInterval(),
        config.broker().ticketTtl()), Clock.systemUTC(), config.dataDir(), metrics);
    return deploy.apply(hostCache)
        .compose(v -> deploy.apply(service))
        .compose(v -> {
          brokerService = service;
          broker = service.forNode(config.location(), nodeId, channel.toNode());
          LeaseAuthority authority = new LeaseAuthority(vertx, db, secrets, certificates.get().caFingerprint(),
              config.lease().validity(), location -> service.fresh().map(model -> model.forLocation(location)),
              Clock.systemUTC());
          return authority.start().onSuccess(x -> leaseAuthority = authority);
        });
  }

  /** The local host cache's copy of an account, while the database cannot be reached. */
  private Future<AccountDirectory.Account> cachedAccount(String username, Throwable cause) {
    return hostCache.find(username).compose(cached -> {
      if (cached == null) {
        return Future.failedFuture(cause);
      }
      LOG.atWarn().addKeyValue("user", cached.username()).log("The database cannot be reached ({}): {} signs in "
          + "with the local host cache's copy of the account", Failures.rootMessage(cause), cached.username());
      return Future.succeededFuture(cached);
    });
  }

  /** What the hub role offers this node, once the services behind it are up. */
  private Function<JsonObject, Future<JsonObject>> operation(HubOperations.Caller caller, String op) {
    Function<JsonObject, Future<JsonObject>> handler = brokerService == null ? null
        : brokerService.operation(caller.location(), caller.node(), caller.channel()::request, op);
    if (handler == null && leaseAuthority != null) {
      handler = leaseAuthority.operation(caller.location(), caller.node(), op);
    }
    if (handler == null && db != null && AccountOperations.SNAPSHOT.equals(op)) {
      handler = new IdentityOperations(new UserAccounts(db)).operation(caller, op);
    }
    return handler != null || directoryRelay == null ? handler : directoryRelay.operation(caller, op);
  }

  @Override
  public HubChannel channel() {
    return channel;
  }

  @Override
  public String location() {
    return config.location();
  }

  @Override
  public BrokerClient broker() {
    return broker;
  }

  @Override
  public HostEvents hostEvents() {
    return broker;
  }

  @Override
  public AccountDirectory accounts() {
    return accounts;
  }

  @Override
  public EnrollmentLedger enrollment() {
    return enrollment;
  }

  /** This location's part of the site model, recomputed only when the model changed. */
  @Override
  public Supplier<SiteModel> locationModel() {
    return () -> {
      SiteModel whole = brokerService.model();
      SiteModel cached = locationModel;
      if (cached == null || cached.version() != whole.version()) {
        cached = whole.forLocation(config.location());
        locationModel = cached;
      }
      return cached;
    };
  }

  @Override
  public Optional<LeaseAuthority> leaseAuthority() {
    return Optional.ofNullable(leaseAuthority);
  }

  @Override
  public LocalHostCache hostCache() {
    return hostCache;
  }

  @Override
  public String mode() {
    return BrokeringMode.HUB.wireName();
  }

  @Override
  public boolean brokeringLocally() {
    return false;
  }

  @Override
  public Optional<URI> managedBy() {
    return Optional.empty();
  }

  @Override
  public GatewayAddresses gatewayAddresses(GatewayAddresses own) {
    return own;
  }

  @Override
  public Function<JsonObject, Future<JsonObject>> downOperation(String op) {
    return null;
  }

  @Override
  public Future<Void> bootstrap(SiteBootstrap bootstrap) {
    return bootstrap.adminAndDemo();
  }
}
