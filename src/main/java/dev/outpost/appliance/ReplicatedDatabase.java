package dev.outpost.appliance;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.outpost.appliance.config.ConfigKeys;
import dev.outpost.crypto.ClusterKeys;
import dev.outpost.crypto.SecureFiles;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.Database;
import dev.outpost.db.DbConfig;
import dev.outpost.db.EmbeddedPostgres;
import dev.outpost.db.PeerListener;
import dev.outpost.db.replication.BusChunkStream;
import dev.outpost.db.replication.DatabaseRole;
import dev.outpost.db.replication.PrimaryEndpoint;
import dev.outpost.db.replication.ReplicationCredentials;
import dev.outpost.db.replication.ReplicationNode;
import dev.outpost.db.replication.ReplicationSettings;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.Failures;
import dev.outpost.error.ProblemReplies;
import dev.outpost.error.ServerErrorException;
import dev.outpost.wire.SchemaVersion;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's one logical database on the nodes' embedded PostgreSQL servers, replicated with PostgreSQL's streaming
 * replication (see docs/replication.md): the node that holds the site's authority runs the primary, the others run
 * hot standbys cloned from it, and every node's pool writes to the primary.
 *
 * <p>A node that is alone when it joins the cluster (or the oldest member, as when a whole site starts at once)
 * starts its database as the primary (so that a second node can join it later). A node that joins members asks
 * the cluster's oldest member (the one that holds, or is about to hold, the authority) where its primary listens,
 * waiting until it answers; it then follows as it is when its own data is a prefix of the primary's history, else it
 * is cloned: the holder sends its base backup over the clustered event bus (mutual TLS between the site's nodes, so
 * only members get it) in acknowledged chunks at {@code outpost.site.db.backup.<id>}. Its pool connects to the
 * primary as the replication role (TLS, {@code verify-ca} against the event-bus CA that every node derives from
 * {@code cluster.secret}); migrations run only on the primary.
 *
 * <p>When the authority moves, the new holder promotes its standby before it takes the site's lock, and every other
 * node's standby follows it and its pool moves to it. The new holder is the cluster's oldest surviving member, not
 * the standby that replayed most: a standby that replayed beyond the promoted one's last position cannot follow it
 * and is cloned again when it restarts.
 *
 * <p>Requests at {@code outpost.site.db.<node>}: {@code {v, op: "endpoint"}} answers {@code {host, port}} while the
 * node's database is the primary (503 otherwise); {@code {v, op: "base-backup", standby, to}} streams a base backup
 * to the address {@code to} and answers with its size once it ended.
 */
final class ReplicatedDatabase implements SiteDatabase {

  private static final Logger LOG = LoggerFactory.getLogger(ReplicatedDatabase.class);
  static final int VERSION = 1;
  static final String ADDRESS = "outpost.site.db.";
  static final String BACKUP_ADDRESS = "outpost.site.db.backup.";
  static final String ENDPOINT = "endpoint";
  static final String BASE_BACKUP = "base-backup";
  /** How long a joining node waits for the holder's primary to answer before its start fails. */
  static final Duration JOIN_DEADLINE = Duration.ofMinutes(5);
  private static final Duration RETRY = Duration.ofMillis(500);
  private static final Duration BACKUP_TIMEOUT = Duration.ofMinutes(30);
  private static final Duration MONITOR = Duration.ofSeconds(2);
  private static final String INTERNAL = "the node's database could not answer";

  private final Vertx vertx;
  private final DbConfig config;
  private final Path dbDir;
  private final ReplicationSettings settings;
  private final HazelcastInstance member;
  private final String nodeId;
  private final MeterRegistry metrics;
  private MessageConsumer<JsonObject> consumer;
  private UUID membership;
  private volatile ReplicationNode node;
  /** This node's pool, once open: renewed when the primary moves. */
  private volatile Database database;
  /** The primary this node's pool and standby use; empty while this node's database is the primary. */
  private volatile Optional<PrimaryEndpoint> primary = Optional.empty();

  ReplicatedDatabase(Vertx vertx, DbConfig config, Path dataDir, ReplicationSettings settings,
      HazelcastInstance member, String nodeId, MeterRegistry metrics) {
    this.vertx = Objects.requireNonNull(vertx);
    this.config = Objects.requireNonNull(config);
    this.dbDir = dataDir.resolve("db");
    this.settings = Objects.requireNonNull(settings);
    this.member = Objects.requireNonNull(member);
    this.nodeId = Objects.requireNonNull(nodeId);
    this.metrics = Objects.requireNonNull(metrics);
  }

  /**
   * This node's replication settings: its standby name from its node id, its cluster address and
   * {@code db.peer-port}, the networks of its cluster address and of the nodes it joins, and the event-bus
   * certificate (written owner-only under the data dir: PostgreSQL reads files). Blocking (files, name lookups).
   */
  static ReplicationSettings settings(Path dataDir, String nodeId, String clusterHost, List<String> join,
      int peerPort, SiteCertificates bus, ClusterKeys keys) throws IOException {
    Path tls = dataDir.resolve("db").resolve("site-tls");
    SecureFiles.createPrivateDirectories(tls);
    Path certificate = tls.resolve("node.crt");
    Path key = tls.resolve("node.key");
    Path ca = tls.resolve("ca.crt");
    SecureFiles.writePrivate(certificate, bus.nodeCertificatePem());
    SecureFiles.writePrivate(key, bus.nodeKeyPem());
    SecureFiles.writePrivate(ca, bus.caPem());
    String address = InetAddress.getByName(clusterHost).getHostAddress();
    Set<String> networks = new LinkedHashSet<>();
    networks.add(network(address));
    for (String peer : join) {
      String host = peer.startsWith("[") ? peer.substring(1, peer.indexOf(']')) : peer.split(":")[0];
      networks.add(network(InetAddress.getByName(host).getHostAddress()));
    }
    byte[] secret = keys.databaseReplication();
    try {
      return new ReplicationSettings(ReplicationSettings.standbyName(nodeId), new PeerListener(address, peerPort),
          List.copyOf(networks), certificate, key, ca, ReplicationCredentials.derive(secret));
    } finally {
      ClusterKeys.wipe(secret);
    }
  }

  /** The /24 of an IPv4 address, the /64 of an IPv6 one: the cluster's network, as the access rules take it. */
  static String network(String address) {
    if (address.contains(":")) {
      return address + "/64";
    }
    String[] parts = address.split("\\.");
    return parts[0] + "." + parts[1] + "." + parts[2] + ".0/24";
  }

  /**
   * Starts a lone node's database as the primary on its own thread, before Vert.x runs; {@link #open} takes it
   * over. Fails with a one-line {@link StartupException} naming {@code db.peer-port} when the port is taken.
   */
  static CompletableFuture<EmbeddedPostgres> startPrimaryEarly(Path dataDir, ReplicationSettings settings) {
    CompletableFuture<EmbeddedPostgres> result = new CompletableFuture<>();
    Thread starter = new Thread(() -> {
      try {
        refuseTakenPort(settings);
        result.complete(ReplicationNode.openPrimary(dataDir.resolve("db"), settings));
      } catch (Exception | Error e) {
        result.completeExceptionally(e);
      }
    }, "outpost-embedded-postgres-start");
    starter.setDaemon(true);
    starter.start();
    return result;
  }

  /** Fails with a one-line error naming {@code db.peer-port} when another program listens on it. Blocking. */
  static void refuseTakenPort(ReplicationSettings settings) {
    PeerListener listener = settings.listener();
    for (String address : new LinkedHashSet<>(List.of("127.0.0.1", listener.address()))) {
      try (ServerSocket probe = new ServerSocket()) {
        probe.bind(new InetSocketAddress(address, listener.port()));
      } catch (IOException e) {
        throw new StartupException("cannot start the embedded database on " + address + ":" + listener.port()
            + " for the site's other nodes (" + e.getMessage() + "); free the port or set "
            + ConfigKeys.DB_PEER_PORT.name() + " (--db-peer-port)", e);
      }
    }
  }

  /**
   * Starts this node's part and opens its pool: the primary that started early ({@code early}, a lone node), or,
   * decided now, the primary (no other member) or a standby of the holder's primary.
   */
  Future<Database> open(CompletableFuture<EmbeddedPostgres> early) {
    consumer = vertx.eventBus().consumer(ADDRESS + nodeId, this::serve);
    Future<ReplicationNode> started;
    if (early != null) {
      started = Future.fromCompletionStage(early, vertx.getOrCreateContext())
          .map(server -> ReplicationNode.adopt(vertx, dbDir, settings, server));
    } else if (oldestOther().isEmpty()) {
      // alone, or the oldest member (a whole site started at once): this node is about to hold the authority
      started = vertx.executeBlocking(() -> {
        refuseTakenPort(settings);
        return dropStandbySignal();
      }, false)
          .compose(v -> ReplicationNode.startPrimary(vertx, dbDir, settings));
    } else {
      started = joinSite();
    }
    return started.recover(this::startFailure).compose(this::opened);
  }

  /**
   * A lone (or the oldest) node whose data is a standby's (the rest of the site is gone) starts it as the primary:
   * the standby's signal goes, its data stays. Blocking.
   */
  private Void dropStandbySignal() throws IOException {
    Path signal = dbDir.resolve("pgdata").resolve("standby.signal");
    if (Files.deleteIfExists(signal)) {
      LOG.warn("This node is the oldest member of its cluster and its database was a standby: it starts as the "
          + "primary with the data it replayed");
    }
    return null;
  }

  private Future<ReplicationNode> startFailure(Throwable e) {
    if (e instanceof StartupException) {
      return Future.failedFuture(e);
    }
    String message = Failures.rootMessage(e);
    return Future.failedFuture(new StartupException("cannot start the site's replicated database: " + message, e));
  }

  private Future<Database> opened(ReplicationNode started) {
    node = started;
    started.bindMetrics(metrics);
    // the server's own gauges (up, restarts after it ended on its own), as on a node whose database is its own
    started.database().bindMetrics(metrics);
    started.startMonitoring(MONITOR);
    membership = member.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        reconcile();
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        reconcile();
      }
    });
    boolean primaryHere = primary.isEmpty();
    if (primaryHere) {
      reconcile();
    }
    return Database.replicated(vertx, config, this::poolOptions, this::describe, primaryHere)
        .onSuccess(opened -> database = opened);
  }

  /** The primary's options at each new connection of the pool: this node's server, or the current primary's. */
  private PgConnectOptions poolOptions() {
    Optional<PrimaryEndpoint> at = primary;
    return at.isPresent() ? at.get().poolOptions(settings, Database.EMBEDDED_DATABASE)
        : Database.loopback(node.database());
  }

  private String describe() {
    return primary.map(at -> "the site's replicated PostgreSQL, primary at " + at + " (this node's is a standby)")
        .orElse("the site's replicated PostgreSQL, primary on this node (" + settings.listener().address() + ":"
            + settings.listener().port() + ")");
  }

  // ---- joining ------------------------------------------------------------------------------------

  /** Waits for the holder's primary, then follows it as it is or after a clone. */
  private Future<ReplicationNode> joinSite() {
    long deadline = System.nanoTime() + JOIN_DEADLINE.toNanos();
    return holderEndpoint(deadline).compose(found -> {
      LOG.info("This node joins the site's replicated database: primary at {} on node {}", found.endpoint(),
          found.node());
      return vertx.executeBlocking(() -> {
        EmbeddedPostgres.stopLeftover(dbDir);
        return Files.exists(dbDir.resolve("pgdata").resolve("PG_VERSION"));
      }, false)
          .compose(hasData -> hasData
              ? ReplicationNode.assessRejoin(vertx, dbDir, settings, found.endpoint())
                  .compose(verdict -> verdict.canFollow() ? Future.<Void>succeededFuture()
                      : cloneFrom(found))
              : cloneFrom(found))
          .compose(v -> ReplicationNode.startStandby(vertx, dbDir, settings, found.endpoint()))
          .onSuccess(standby -> primary = Optional.of(found.endpoint()));
    });
  }

  private record Holder(String node, PrimaryEndpoint endpoint) {
  }

  /** Asks the cluster's oldest other member for its primary until it answers, up to {@code deadline}. */
  private Future<Holder> holderEndpoint(long deadline) {
    Optional<String> oldest = oldestOther();
    Future<Holder> asked = oldest.isEmpty() ? Future.failedFuture(ServerErrorException.unavailable(
        "no other member in the cluster")) : endpointOf(oldest.get()).map(at -> new Holder(oldest.get(), at));
    return asked.recover(e -> {
      if (System.nanoTime() > deadline) {
        return Future.failedFuture(new StartupException("no node of the site served its database within "
            + JOIN_DEADLINE.toMinutes() + " minutes (" + Failures.rootMessage(e) + "); start the node that holds "
            + "the site's authority first", e));
      }
      Promise<Holder> again = Promise.promise();
      vertx.setTimer(RETRY.toMillis(), id -> holderEndpoint(deadline).onComplete(again));
      return again.future();
    });
  }

  /** The oldest member other than this node: the one that holds, or is about to hold, the site's authority. */
  private Optional<String> oldestOther() {
    Iterator<Member> members = member.getCluster().getMembers().iterator();
    String id = members.hasNext() ? members.next().getAttribute("outpost.node") : null;
    // this node the oldest: nobody older to follow
    return id == null || id.equals(nodeId) ? Optional.empty() : Optional.of(id);
  }

  private Future<PrimaryEndpoint> endpointOf(String holder) {
    return vertx.eventBus().<JsonObject>request(ADDRESS + holder, SchemaVersion.stamp(new JsonObject(), VERSION)
            .put("op", ENDPOINT), new DeliveryOptions().setSendTimeout(5_000))
        .map(reply -> new PrimaryEndpoint(reply.body().getString("host"), reply.body().getInteger("port")));
  }

  /** Receives the holder's base backup over the event bus into this node's data dir. */
  private Future<Void> cloneFrom(Holder holder) {
    String address = BACKUP_ADDRESS + UUID.randomUUID();
    Future<Void> restored = ReplicationNode.sink(vertx, dbDir, settings, holder.endpoint())
        .receive(BusChunkStream.reader(vertx, address));
    Future<JsonObject> sent = vertx.eventBus().<JsonObject>request(ADDRESS + holder.node(),
            SchemaVersion.stamp(new JsonObject(), VERSION).put("op", BASE_BACKUP).put("standby", settings.nodeName())
                .put("to", address), new DeliveryOptions().setSendTimeout(BACKUP_TIMEOUT.toMillis()))
        .map(Message::body);
    return Future.all(restored, sent).<Void>mapEmpty()
        .onSuccess(v -> LOG.info("This node's database was cloned from node {} ({} bytes)", holder.node(),
            sent.result().getLong("bytes", 0L)))
        .recover(e -> Future.failedFuture(new StartupException("cannot clone the site's database from node "
            + holder.node() + ": " + Failures.rootMessage(restored.failed() ? restored.cause() : e), e)));
  }

  // ---- serving ------------------------------------------------------------------------------------

  private void serve(Message<JsonObject> message) {
    JsonObject request = message.body();
    Optional<String> refused = SchemaVersion.refusal(request, VERSION, "site database");
    if (refused.isPresent()) {
      ProblemReplies.fail(message, ClientErrorException.badRequest(refused.get()), INTERNAL);
      return;
    }
    ReplicationNode here = node;
    if (here == null || primary.isPresent()) {
      ProblemReplies.fail(message, ServerErrorException.unavailable("node " + nodeId + " does not run the site's "
          + "primary database now; try again"), INTERNAL);
      return;
    }
    String op = request.getString("op", "");
    if (ENDPOINT.equals(op)) {
      PrimaryEndpoint at = here.endpoint();
      message.reply(new JsonObject().put("host", at.host()).put("port", at.port()));
    } else if (BASE_BACKUP.equals(op)) {
      String standby = request.getString("standby", "");
      String to = request.getString("to", "");
      if (!to.startsWith(BACKUP_ADDRESS) || !standby.equals(ReplicationSettings.standbyName(standby))) {
        ProblemReplies.fail(message, ClientErrorException.badRequest("a base backup needs a standby name and a "
            + BACKUP_ADDRESS + " address"), INTERNAL);
        return;
      }
      here.backupSource().send(standby, BusChunkStream.writer(vertx, to))
          .onSuccess(summary -> message.reply(new JsonObject().put("files", summary.files())
              .put("bytes", summary.bytes())))
          .onFailure(e -> ProblemReplies.fail(message, ServerErrorException.unavailable("the base backup for "
              + standby + " failed: " + Failures.rootMessage(e), e), INTERNAL));
    } else {
      ProblemReplies.fail(message, ClientErrorException.notFound("unknown operation " + op), INTERNAL);
    }
  }

  // ---- the authority moves ------------------------------------------------------------------------

  @Override
  public Future<Void> beforeTerm() {
    ReplicationNode here = node;
    if (here == null) {
      return Future.failedFuture(ServerErrorException.unavailable("this node's database has not started yet"));
    }
    if (primary.isEmpty()) {
      return Future.succeededFuture();
    }
    return here.promote().compose(v -> {
      primary = Optional.empty();
      reconcile();
      return renewConnections();
    });
  }

  @Override
  public void holderChanged(String holder) {
    ReplicationNode here = node;
    if (here == null || holder.equals(nodeId)) {
      return;
    }
    endpointOf(holder).compose(at -> {
      if (primary.isPresent() && primary.get().equals(at)) {
        return Future.succeededFuture();
      }
      if (primary.isEmpty()) {
        LOG.error("Node {} holds the site's authority but this node's database is a primary too: restart this node "
            + "so that it rejoins as a standby", holder);
        return Future.succeededFuture();
      }
      return here.follow(at).compose(v -> {
        primary = Optional.of(at);
        return renewConnections();
      });
    }).onFailure(e -> LOG.warn("This node's database could not follow node {}: {}", holder,
        Failures.rootMessage(e)));
  }

  private Future<Void> renewConnections() {
    Database opened = database;
    return opened == null ? Future.succeededFuture() : opened.renewConnections();
  }

  /** On the primary: only the site's current members count for synchronous commits. */
  private void reconcile() {
    ReplicationNode here = node;
    if (here == null || primary.isPresent()) {
      return;
    }
    Set<String> names = new LinkedHashSet<>();
    for (Member other : member.getCluster().getMembers()) {
      String id = other.getAttribute("outpost.node");
      if (id != null && !id.equals(nodeId)) {
        names.add(ReplicationSettings.standbyName(id));
      }
    }
    here.synchronousStandbys().reconcile(names).onFailure(e -> LOG.warn("Cannot bring the synchronous replication "
        + "rule in step with the site's members: {}", Failures.rootMessage(e)));
  }

  /** This node's role, for its status. */
  DatabaseRole role() {
    return primary.isPresent() ? DatabaseRole.STANDBY : DatabaseRole.PRIMARY;
  }

  @Override
  public Future<Void> stop() {
    if (consumer != null) {
      consumer.unregister();
    }
    if (membership != null) {
      try {
        member.getCluster().removeMembershipListener(membership);
      } catch (RuntimeException e) {
        // the member is already shut down
      }
    }
    ReplicationNode here = node;
    node = null;
    return here == null ? Future.succeededFuture() : here.stop().recover(e -> Future.succeededFuture());
  }
}
