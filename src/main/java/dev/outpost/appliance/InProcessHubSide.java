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
import com.hazelcast.core.HazelcastInstance;
import dev.outpost.broker.impl.AuthorityBroker;
import dev.outpost.broker.impl.BrokerWire.HubBroker;
import dev.outpost.hub.HubRole;
import dev.outpost.hub.SiteAuthority;
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
 * The hub role of a site without a separate hub (all-in-one appliances): the broker service, the lease authority,
 * the directory relay and account lookups on the site's database. Appliances that share {@code cluster.secret} are
 * one site: the role runs on the node that holds the site's authority ({@link SiteAuthority}: the oldest member
 * while it sees {@code cluster.min-members}) and moves when that node dies; the other nodes reach it over the
 * event bus with the same operations a separate hub offers a node's tunnel. Accounts, second factors and
 * enrollments are read from the site's database on every node. On the holder, brokering skips even the
 * operations' JSON: the node calls the broker service's typed view of it.
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
  private final Function<String, Function<JsonObject, Future<JsonObject>>> down;
  private final HazelcastInstance member;
  private final int minMembers;
  private final Runnable hostsAgain;
  private final SiteDatabase siteDatabase;
  private SiteAuthority authority;
  private LocalHostCache hostCache;
  /** The hub role's broker for this node while it holds the authority, called without a wire form. */
  private volatile HubBroker typed;
  private AuthorityBroker broker;
  private AccountDirectory accounts;
  private SecondFactors secondFactors;
  private EnrollmentLedger enrollment;
  private volatile SiteModel locationModel;

  /**
   * @param member this node's cluster member, whose membership decides who holds the site's authority
   * @param minMembers {@code cluster.min-members}
   * @param down the node's own operations, for what the hub role sends down to it
   * @param deploy deploys a verticle of this side so that the node undeploys it when it stops
   * @param hostsAgain reports the hosts linked to this node to the broker again (it moved to another node)
   * @param siteDatabase what the site's database does when the authority moves
   */
  InProcessHubSide(Vertx vertx, OutpostConfig config, String nodeId, HazelcastInstance member, int minMembers,
      Supplier<SecretBox> secrets, Supplier<SiteCertificates> certificates, MeterRegistry metrics,
      Function<String, Function<JsonObject, Future<JsonObject>>> down, Function<Deployable, Future<Void>> deploy,
      Runnable hostsAgain, SiteDatabase siteDatabase) {
    this.vertx = Objects.requireNonNull(vertx);
    this.config = Objects.requireNonNull(config);
    this.nodeId = Objects.requireNonNull(nodeId);
    this.secrets = Objects.requireNonNull(secrets);
    this.certificates = Objects.requireNonNull(certificates);
    this.metrics = Objects.requireNonNull(metrics);
    this.deploy = Objects.requireNonNull(deploy);
    this.down = Objects.requireNonNull(down);
    this.member = Objects.requireNonNull(member);
    this.minMembers = minMembers;
    this.hostsAgain = Objects.requireNonNull(hostsAgain);
    this.siteDatabase = Objects.requireNonNull(siteDatabase);
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
    authority = new SiteAuthority(vertx, member, db, config.location(), nodeId, minMembers, down,
        new SiteAuthority.Terms() {
          @Override
          public HubRole newRole() {
            return new HubRole(vertx, db, secrets.get(), certificates.get().caFingerprint(), config.broker(),
                config.lease(), config.dataDir(), metrics);
          }

          @Override
          public Future<Void> beforeLock() {
            return siteDatabase.beforeTerm();
          }

          @Override
          public Future<Void> began(HubRole role) {
            typed = role.forNode(config.location(), nodeId, authority.toThisNode());
            return Future.succeededFuture();
          }

          @Override
          public void ended() {
            typed = null;
          }

          @Override
          public void holderChanged(String node) {
            siteDatabase.holderChanged(node);
            hostsAgain.run();
          }
        }, metrics);
    broker = new AuthorityBroker(() -> authority.holding() ? typed : null, authority);
    // the site's authority may be on another node, or its database unreachable: sign-in falls back to this cache
    hostCache = new LocalHostCache(authority, config.dataDir(), config.hub().syncInterval(), secrets);
    return deploy.apply(hostCache).compose(v -> authority.start());
  }

  @Override
  public Future<Void> stop() {
    return authority == null ? Future.succeededFuture() : authority.stop();
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

  @Override
  public HubChannel channel() {
    return authority;
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

  /**
   * This location's part of the site model: the role's own while this node holds the authority (recomputed only
   * when the model changed), else the copy the local host cache keeps in step with it.
   */
  @Override
  public Supplier<SiteModel> locationModel() {
    return () -> {
      Optional<HubRole> role = authority.role();
      if (role.isEmpty()) {
        return hostCache.model();
      }
      SiteModel whole = role.get().broker().model();
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
    return authority.role().map(HubRole::leases);
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

  /** A node below {@code cluster.min-members} may be cut off from the majority, which may change the same things. */
  @Override
  public Optional<String> writeRefusal() {
    int members = member.getCluster().getMembers().size();
    return members >= minMembers ? Optional.empty() : Optional.of("this appliance sees " + members + " of the "
        + minMembers + " cluster members the site needs to change its configuration (cluster.min-members): it may be "
        + "cut off from the others; make the change at a node of the majority");
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
   * Creates the bootstrap admin and the demo (once per site: every node may ask), then has the broker load them at
   * once where this node holds the authority: it polls the site model's changes, and a launch on the node's first
   * ready answer must not miss the demo resource.
   */
  @Override
  public Future<Void> bootstrap(SiteBootstrap bootstrap) {
    return bootstrap.adminAndDemo().compose(v -> authority.role().map(role -> role.broker().refreshNow().mapEmpty())
        .orElse(Future.succeededFuture())).mapEmpty();
  }
}
