package dev.outpost.appliance;

import dev.outpost.appliance.config.OutpostConfig;
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
import dev.outpost.broker.impl.BrokerWire.HubBroker;
import dev.outpost.hub.HubOperations;
import dev.outpost.hub.HubRole;
import dev.outpost.hub.InProcessHub;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.SecondFactors;
import dev.outpost.identity.StoredSecondFactors;
import dev.outpost.identity.UserAccounts;
import dev.outpost.admin.AccessWithdrawal;
import dev.outpost.lease.AccountLeaseRevocation;
import dev.outpost.lease.LeaseAdminRoutes;
import dev.outpost.lease.impl.LeaseAuthority;
import java.time.Clock;
import dev.outpost.lease.impl.RevocationOutbox;
import dev.outpost.relay.HubChannel;
import dev.outpost.relay.LocalHostCache;
import dev.outpost.store.GatewayAddresses;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
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
  /** The key for stored secrets: known once the node's database is open, before {@link #start}. */
  private final Supplier<SecretBox> secrets;
  private final Supplier<SiteCertificates> certificates;
  private final MeterRegistry metrics;
  private final Function<Deployable, Future<Void>> deploy;
  private final InProcessHub channel;
  private final LocalHostCache hostCache;
  /** The hub role's broker for this node, called without a wire form. */
  private HubBroker broker;
  private HubRole role;
  private AccountDirectory accounts;
  private SecondFactors secondFactors;
  private EnrollmentLedger enrollment;
  private volatile SiteModel locationModel;

  /**
   * @param down the node's own operations, for what the hub role sends down to it
   * @param deploy deploys a verticle of this side so that the node undeploys it when it stops
   */
  InProcessHubSide(Vertx vertx, OutpostConfig config, String nodeId, Supplier<SecretBox> secrets,
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
        () -> role != null && role.running());
    // the hub role is always at hand, but its database may not be: sign-in falls back to this cache
    this.hostCache = new LocalHostCache(channel, config.dataDir(), config.hub().syncInterval(), secrets);
  }

  @Override
  public void prepare() {
    // nothing to enroll with: the hub role is this process
  }

  @Override
  public Future<Void> start(Database db) {
    UserAccounts stored = new UserAccounts(db, secrets.get());
    secondFactors = new StoredSecondFactors(db, secrets.get());
    accounts = username -> stored.find(username).recover(e -> e instanceof ClientErrorException
        ? Future.failedFuture(e) : cachedAccount(username, e));
    enrollment = new DatabaseEnrollmentLedger(db);
    HubRole started = new HubRole(vertx, db, secrets.get(), certificates.get().caFingerprint(), config.broker(),
        config.lease(), config.dataDir(), metrics);
    return deploy.apply(hostCache).compose(v -> started.start()).onSuccess(v -> {
      broker = started.forNode(config.location(), nodeId, channel.toNode());
      role = started;
    });
  }

  @Override
  public Future<Void> stop() {
    return role == null ? Future.succeededFuture() : role.stop();
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

  /** What the hub role offers this node, once it runs. */
  private Function<JsonObject, Future<JsonObject>> operation(HubOperations.Caller caller, String op) {
    HubRole current = role;
    return current == null ? null : current.operation(caller, op);
  }

  @Override
  public HubChannel channel() {
    return channel;
  }

  /** The node's database, where the accounts are. */
  @Override
  public SecondFactors secondFactors() {
    return secondFactors;
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
      SiteModel whole = role.broker().model();
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
    return Optional.ofNullable(role).map(HubRole::leases);
  }

  @Override
  public AccountDirectory leaseAccounts() {
    return accounts;
  }

  @Override
  public AccessWithdrawal accessWithdrawal(LeaseAdminRoutes.Publisher publish) {
    return new AccountLeaseRevocation(publish, Clock.systemUTC());
  }

  /** The lease authority runs here, on the same database: nothing waits. */
  @Override
  public RevocationOutbox revocationOutbox() {
    return RevocationOutbox.SHARED;
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

  /**
   * Creates the bootstrap admin and the demo, then has the broker load them at once: it polls the site model's
   * changes, and a launch on the node's first ready answer must not miss the demo resource.
   */
  @Override
  public Future<Void> bootstrap(SiteBootstrap bootstrap) {
    return bootstrap.adminAndDemo().compose(v -> role.broker().refreshNow()).mapEmpty();
  }
}
