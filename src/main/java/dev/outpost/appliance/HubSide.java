package dev.outpost.appliance;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.SiteModel;
import dev.outpost.hosts.EnrollmentLedger;
import dev.outpost.hosts.HostEvents;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.lease.impl.LeaseAuthority;
import dev.outpost.relay.HubChannel;
import dev.outpost.relay.LocalHostCache;
import dev.outpost.store.GatewayAddresses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The hub role as an appliance node sees it, chosen once at boot: run in this process (all-in-one, {@link
 * InProcessHubSide}) or reached over the outbound tunnel to a separate hub ({@link RemoteHubSide}). The node's
 * features get what they need from it (brokering, host reports, accounts, enrollment, the site model, the lease
 * authority) and never ask which side it is.
 */
sealed interface HubSide permits InProcessHubSide, RemoteHubSide {

  /**
   * Blocking, on a worker, before {@link #start}: what must exist before the database and the cluster's features
   * (a separate hub's membership: enrollment with the connector token on first start).
   */
  void prepare();

  /** Starts what this side runs, once the node's database is open. */
  Future<Void> start(dev.outpost.db.Database db);

  /** Stops what {@link #start} started that the node does not undeploy itself; never fails. */
  default Future<Void> stop() {
    return Future.succeededFuture();
  }

  /** Where requests for the hub role go. */
  HubChannel channel();

  /** The resource location this node serves. */
  String location();

  /** Brokering for the store and the gateway. */
  BrokerClient broker();

  /** Where the agent endpoint reports hosts and their load. */
  HostEvents hostEvents();

  /** The accounts users sign in with. */
  AccountDirectory accounts();

  /** Where accounts' second factors are enrolled and changed: where the accounts are kept. */
  dev.outpost.identity.SecondFactors secondFactors();

  /** Where host enrollments are recorded and looked up. */
  EnrollmentLedger enrollment();

  /** This location's site model as the node knows it now. */
  Supplier<SiteModel> locationModel();

  /** The site's lease authority, when the hub role runs in this process. */
  Optional<LeaseAuthority> leaseAuthority();

  /**
   * The accounts a lease launch checks for a disabled user: all-in-one the database (its cached copy while it is
   * down); with a separate hub the local host cache's copy, which the hub updates at once and which outlives it.
   */
  AccountDirectory leaseAccounts();

  /**
   * What revokes a user's leases when an admin changes the account on this node: all-in-one, where accounts are
   * changed here; nothing with a separate hub, where they are changed at the hub (which tells the nodes).
   */
  dev.outpost.admin.AccessWithdrawal accessWithdrawal(
      dev.outpost.lease.LeaseAdminRoutes.Publisher publish);

  /** Where lease revocations made on this node wait for the site's lease authority. */
  dev.outpost.lease.impl.RevocationOutbox revocationOutbox();

  /** The local host cache: configuration and accounts for when the hub or the database is gone. */
  LocalHostCache hostCache();

  /** {@code hub} while the hub brokers, {@code local} while this node brokers from its local host cache. */
  String mode();

  /** Whether this node brokers from its local host cache now (the hub cannot be reached). */
  boolean brokeringLocally();

  /** The separate hub that manages this location's configuration, when there is one. */
  Optional<URI> managedBy();

  /** Where clients present tickets: the node's own gateways, and a separate hub's rendezvous gateway. */
  GatewayAddresses gatewayAddresses(GatewayAddresses own);

  /** What the hub may ask of this node beyond the node's own operations (a separate hub's rendezvous). */
  Function<JsonObject, Future<JsonObject>> downOperation(String op);

  /**
   * Why an admin must not change the site's configuration at this node now, if so: where the site's authority is
   * elected among the nodes, a node that sees fewer than {@code cluster.min-members} members.
   */
  default Optional<String> writeRefusal() {
    return Optional.empty();
  }

  /** Creates what a site needs to be used (the bootstrap admin, the demo) where this side keeps accounts. */
  Future<Void> bootstrap(SiteBootstrap bootstrap);

  /** What {@link #bootstrap} may do: create the bootstrap admin and, with {@code --demo}, the demo. */
  interface SiteBootstrap {
    Future<Void> adminAndDemo();
  }
}
