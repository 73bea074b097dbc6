package dev.outpost.appliance;

import com.hazelcast.core.HazelcastInstance;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.broker.impl.Broker;
import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokeringMode;
import dev.outpost.broker.SiteModel;
import dev.outpost.cluster.ClusterSeal;
import dev.outpost.cluster.SealedMap;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SecretBox;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.Database;
import dev.outpost.gateway.Gateway;
import dev.outpost.gateway.RendezvousProtocol;
import dev.outpost.hosts.EnrollmentLedger;
import dev.outpost.hosts.HostEvents;
import dev.outpost.http.Tls;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.SecondFactors;
import dev.outpost.admin.AccessWithdrawal;
import dev.outpost.lease.LeaseAdminRoutes;
import dev.outpost.lease.impl.LeaseAuthority;
import dev.outpost.lease.impl.RevocationOutbox;
import dev.outpost.broker.impl.ClusterBrokering;
import dev.outpost.relay.ConnectorRenewal;
import dev.outpost.relay.HubChannel;
import dev.outpost.relay.HubEnrollment;
import dev.outpost.broker.impl.HubFailover;
import dev.outpost.relay.HubLink;
import dev.outpost.broker.impl.LocalBroker;
import dev.outpost.broker.impl.OutagePlacements;
import dev.outpost.relay.CachedEnrollmentLedger;
import dev.outpost.relay.LocalHostCache;
import dev.outpost.relay.RelayedAccounts;
import dev.outpost.relay.RelayedSecondFactors;
import dev.outpost.relay.TunnelProtocol;
import dev.outpost.renewal.CertificateGauges;
import dev.outpost.store.GatewayAddresses;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A separate hub ({@code --hub}): the node enrolls with it once, keeps an outbound tunnel to it, relays brokering
 * while it answers and brokers from the local host cache (led by the cluster's oldest member) once it has not
 * answered for {@code hub.outage-threshold}.
 */
final class RemoteHubSide implements HubSide {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteHubSide.class);

  private final Vertx vertx;
  private final OutpostConfig config;
  private final String nodeId;
  private final HazelcastInstance member;
  /** Seals what outage mode keeps in the cluster's maps (the copy of the enrolled hosts, the placements). */
  private final ClusterSeal seal;
  private final int minMembers;
  private final Supplier<SiteCertificates> certificates;
  /** The node's key for stored secrets (sealing the local host cache's authenticator secrets), once opened. */
  private final Supplier<SecretBox> secrets;
  private final Function<String, Function<JsonObject, Future<JsonObject>>> down;
  private final BiFunction<String, JsonObject, Future<JsonObject>> agentCommands;
  private final Supplier<Gateway> gateway;
  private final Function<Deployable, Future<Void>> deploy;
  private final MeterRegistry metrics;
  private HubEnrollment.Membership membership;
  private HubLink link;
  private LocalHostCache hostCache;
  private HubFailover failover;
  private EnrollmentLedger enrollment;
  private RevocationOutbox outbox;
  private AccountDirectory accounts;

  /**
   * @param seal seals the cluster maps of outage mode (the copy of the enrolled hosts, the placements)
   * @param down the node's own operations, for what the hub sends down to it
   * @param agentCommands sends a command to an agent linked to this node (outage-mode brokering's log-offs)
   * @param gateway the node's gateway, which opens rendezvous streams the hub asks for
   * @param deploy deploys a verticle of this side so that the node undeploys it when it stops
   * @param metrics where the connector certificate's expiry and renewals show
   * @param secrets the node's key for stored secrets, once opened
   */
  RemoteHubSide(Vertx vertx, OutpostConfig config, String nodeId, HazelcastInstance member, ClusterSeal seal,
      int minMembers, Supplier<SiteCertificates> certificates, Supplier<SecretBox> secrets,
      Function<String, Function<JsonObject, Future<JsonObject>>> down,
      BiFunction<String, JsonObject, Future<JsonObject>> agentCommands, Supplier<Gateway> gateway,
      Function<Deployable, Future<Void>> deploy, MeterRegistry metrics) {
    this.metrics = Objects.requireNonNull(metrics);
    this.vertx = Objects.requireNonNull(vertx);
    this.config = Objects.requireNonNull(config);
    this.nodeId = Objects.requireNonNull(nodeId);
    this.member = Objects.requireNonNull(member);
    this.seal = Objects.requireNonNull(seal);
    this.minMembers = minMembers;
    this.certificates = Objects.requireNonNull(certificates);
    this.secrets = Objects.requireNonNull(secrets);
    this.down = Objects.requireNonNull(down);
    this.agentCommands = Objects.requireNonNull(agentCommands);
    this.gateway = Objects.requireNonNull(gateway);
    this.deploy = Objects.requireNonNull(deploy);
  }

  /** Enrolls with the hub on first start (its connector token), else reads the membership. Blocking. */
  @Override
  public void prepare() {
    try {
      membership = HubEnrollment.loadOrEnroll(config.dataDir(), config.hub().url(), config.hub().token(),
          ApplianceNames.localHostName(), certificates.get(), config.proxy());
      LOG.info("Member of location {} at hub {}", membership.location(), membership.hub());
    } catch (IllegalStateException e) {
      throw new StartupException(e.getMessage());
    } catch (IOException e) {
      throw new StartupException("cannot read or write the hub membership in " + config.dataDir().resolve("hub")
          + ": " + e.getMessage(), e);
    }
  }

  /** The tunnel to the hub, authenticated with the certificate it issued at enrollment, and outage brokering. */
  @Override
  public Future<Void> start(Database db) {
    var options = Tls.siteWebSocketClient(certificates.get())
        .setMaxMessageSize(TunnelProtocol.MAX_MESSAGE_BYTES)
        .setTrustOptions(membership.trust())
        .setKeyCertOptions(membership.clientCertificate());
    config.proxy().forTarget(membership.hub().getHost()).ifPresent(proxy -> {
      options.setProxyOptions(proxy);
      LOG.info("The hub link goes through the proxy {}", config.proxy().describe());
    });
    link = new HubLink(options, membership.hub(), new HubLink.Identity(nodeId, membership.location(),
        Version.current(), ""), config.hub().pingInterval(), down, config.proxy());
    hostCache = new LocalHostCache(link, config.dataDir(), config.hub().syncInterval(), secrets);
    LocalBroker local = new LocalBroker(hostCache::model, Broker.Settings.of(config.broker().heartbeatInterval(),
        config.broker().ticketTtl()), Clock.systemUTC(), (hostId, command) -> agentCommands.apply(hostId,
        command.toJson()).onFailure(e -> LOG.warn("Command {} for host {} failed: {}", command.kind().wireName(),
            hostId, e.getMessage())), OutagePlacements.inCluster(vertx, SealedMap.of(member, OutagePlacements.MAP_NAME,
            seal)));
    ClusterBrokering brokering = new ClusterBrokering(vertx, member, local, nodeId, minMembers).start();
    failover = new HubFailover(link, local, brokering, hostCache, config.hub().outageThreshold());
    enrollment = CachedEnrollmentLedger.overHub(vertx, link, this::brokeringLocally, SealedMap.of(member,
        CachedEnrollmentLedger.MAP_NAME, seal));
    outbox = RevocationOutbox.toHub(db);
    accounts = RelayedAccounts.orCached(link, hostCache, this::brokeringLocally);
    // the connector certificate renews itself over the tunnel before it expires
    ConnectorRenewal renewal = new ConnectorRenewal(link, config.dataDir(), membership.certificatePem(),
        config.tls().renewal(), metrics);
    CertificateGauges.register(metrics, "connector", () -> Optional.of(renewal.certificate()));
    return deploy.apply(link).compose(v -> deploy.apply(hostCache)).compose(v -> deploy.apply(local))
        .compose(v -> deploy.apply(failover)).compose(v -> deploy.apply(renewal));
  }

  @Override
  public HubChannel channel() {
    return link;
  }

  /** Kept at the hub, which keeps the accounts. */
  @Override
  public SecondFactors secondFactors() {
    return new RelayedSecondFactors(link);
  }

  @Override
  public String location() {
    return membership.location();
  }

  @Override
  public BrokerClient broker() {
    return failover;
  }

  @Override
  public HostEvents hostEvents() {
    return failover;
  }

  @Override
  public AccountDirectory accounts() {
    return accounts;
  }

  @Override
  public EnrollmentLedger enrollment() {
    return enrollment;
  }

  @Override
  public Supplier<SiteModel> locationModel() {
    return hostCache::model;
  }

  @Override
  public Optional<LeaseAuthority> leaseAuthority() {
    return Optional.empty();
  }

  @Override
  public AccountDirectory leaseAccounts() {
    return hostCache;
  }

  /** Accounts change at the hub, which tells every node; nothing to do here. */
  @Override
  public AccessWithdrawal accessWithdrawal(LeaseAdminRoutes.Publisher publish) {
    return AccessWithdrawal.NONE;
  }

  /** Revocations made here wait in this node's database until the hub takes them. */
  @Override
  public RevocationOutbox revocationOutbox() {
    return outbox;
  }

  @Override
  public LocalHostCache hostCache() {
    return hostCache;
  }

  @Override
  public String mode() {
    return failover == null ? BrokeringMode.HUB.wireName() : failover.mode().wireName();
  }

  @Override
  public boolean brokeringLocally() {
    return failover != null && failover.mode() == BrokeringMode.LOCAL;
  }

  @Override
  public Optional<URI> managedBy() {
    return Optional.of(membership.hub());
  }

  /** The node's own gateways, then the hub's rendezvous gateway for clients outside the location. */
  @Override
  public GatewayAddresses gatewayAddresses(GatewayAddresses own) {
    URI hubUrl = config.hub().publicUrl() != null ? config.hub().publicUrl() : membership.hub();
    try {
      return own.withHub(hubUrl, membership.location(), Fingerprints.sha256(Pem.parseCertificate(
          membership.hubCaPem())));
    } catch (IOException e) {
      LOG.warn("Launches will not offer the hub's gateway: its CA certificate cannot be read ({})", e.getMessage());
      return own;
    }
  }

  /** The hub asks this node to open a stream for a client at its rendezvous gateway. */
  @Override
  public Function<JsonObject, Future<JsonObject>> downOperation(String op) {
    return RendezvousProtocol.OPEN.equals(op)
        ? body -> gateway.get().openForHub(body, () -> link.dial(RendezvousProtocol.DATA_PATH)) : null;
  }

  /** Accounts and the site model live on the hub: nothing to create here. */
  @Override
  public Future<Void> bootstrap(SiteBootstrap bootstrap) {
    if (config.demo()) {
      LOG.warn("--demo is ignored: this appliance's site model lives on hub {}", membership.hub());
    }
    return Future.succeededFuture();
  }
}
