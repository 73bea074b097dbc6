package dev.outpost.hub;

import dev.outpost.broker.BrokerConfig;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.broker.impl.Broker;
import dev.outpost.broker.impl.BrokerService;
import dev.outpost.broker.impl.BrokerWire.HubBroker;
import dev.outpost.broker.impl.OwnSessionHistory;
import dev.outpost.relay.Requests;
import dev.outpost.store.StoredFavourites;
import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.hosts.impl.DatabaseEnrollmentLedger;
import dev.outpost.identity.StoredSecondFactors;
import dev.outpost.identity.UserAccounts;
import dev.outpost.identity.directory.DirectoryTable;
import dev.outpost.lease.LeaseConfig;
import dev.outpost.lease.impl.LeaseAuthority;
import dev.outpost.lifecycle.Lifecycle;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Function;

/**
 * The hub role on one database: the per-location brokers, the lease authority, the directory relay, and the account
 * and enrollment answers for appliances. {@code outpost hub} serves it to appliances over their tunnels; an
 * all-in-one appliance reaches it in process. Its operations answer only once it has started.
 */
public final class HubRole implements Lifecycle, HubOperations {

  private final Vertx vertx;
  private final BrokerService broker;
  private final LeaseAuthority leases;
  private final DirectoryRelay directories;
  private final HubOperations others;
  private volatile boolean running;
  private String brokerDeployment;

  /**
   * @param siteCaFingerprint the site CA that the leases this role signs name
   * @param dataDir where the broker service keeps its files
   */
  public HubRole(Vertx vertx, Database db, SecretBox secrets, String siteCaFingerprint, BrokerConfig brokering,
      LeaseConfig leasing, Path dataDir, MeterRegistry metrics) {
    this.vertx = Objects.requireNonNull(vertx);
    this.broker = new BrokerService(db, Broker.Settings.of(brokering.heartbeatInterval(), brokering.ticketTtl()),
        Clock.systemUTC(), dataDir, metrics);
    this.leases = new LeaseAuthority(vertx, db, secrets, siteCaFingerprint, leasing.validity(),
        location -> broker.fresh().map(model -> model.forLocation(location)), Clock.systemUTC());
    this.directories = new DirectoryRelay(db, new DirectoryTable(db, secrets), Clock.systemUTC());
    OwnSessionHistory history = new OwnSessionHistory(db);
    HubOperations histories = (caller, op) -> BrokerOperations.SESSIONS_HISTORY.equals(op) ? history::page : null;
    StoredFavourites favourites = new StoredFavourites(db);
    this.others = HubOperations.of(histories, (caller, op) -> favourites.operation(op),
        new IdentityOperations(new UserAccounts(db, secrets), new StoredSecondFactors(db, secrets)), directories,
        new HostOperations(new DatabaseEnrollmentLedger(db)));
  }

  @Override
  public Future<Void> start() {
    return vertx.deployVerticle(broker)
        .compose(id -> {
          brokerDeployment = id;
          return leases.start();
        })
        .onSuccess(v -> running = true);
  }

  @Override
  public Future<Void> stop() {
    running = false;
    return brokerDeployment == null ? Future.succeededFuture()
        : vertx.undeploy(brokerDeployment).recover(e -> Future.succeededFuture());
  }

  /** Whether its services run, so that its operations answer. */
  public boolean running() {
    return running;
  }

  /** The broker service (its site model, and the admin API's brokering client). */
  public BrokerService broker() {
    return broker;
  }

  /**
   * The broker of {@code location} as appliance node {@code node} sees it, called typed: for the node that runs this
   * role in its own process. {@code toNode} carries what the broker sends down to the node (agent commands).
   */
  public HubBroker forNode(String location, String node, Requests toNode) {
    return broker.forNode(location, node, toNode);
  }

  /** The site's lease keys, signing and revocations. */
  public LeaseAuthority leases() {
    return leases;
  }

  /** Directory settings and tests relayed to a location's appliances. */
  public DirectoryRelay directories() {
    return directories;
  }

  /**
   * What it offers an appliance node: brokering first, then leases, users' session histories and favourites,
   * accounts, directories and enrollment.
   */
  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    if (!running) {
      return null;
    }
    Function<JsonObject, Future<JsonObject>> handler = broker.operation(caller.location(), caller.node(),
        caller.channel()::request, op);
    if (handler == null) {
      handler = leases.operation(caller.location(), caller.node(), op);
    }
    return handler != null ? handler : others.operation(caller, op);
  }
}
