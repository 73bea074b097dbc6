package dev.outpost.db.replication;

import dev.outpost.crypto.SecureFiles;
import dev.outpost.db.Database;
import dev.outpost.db.EmbeddedPostgres;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's embedded PostgreSQL as a member of the site's replicated database (the Patroni model; the site's
 * membership and quorum decide who leads, this class only carries the decisions out). A node starts as the primary
 * ({@link #startPrimary}) or as a standby of one ({@link #startStandby}, after {@link #sink} restored a base backup
 * or {@link #assessRejoin} found its data a prefix of the primary's); a standby is {@link #promote promoted} or
 * {@link #follow pointed} at a new primary while it runs. Every method returns at once; the blocking work (JDBC,
 * files, processes) runs on worker threads.
 */
public final class ReplicationNode {

  private static final Logger LOG = LoggerFactory.getLogger(ReplicationNode.class);
  /** How long a promotion may take before {@link #promote()} fails. */
  static final int PROMOTE_WAIT_SECONDS = 60;

  private final Vertx vertx;
  private final Path dbDir;
  private final ReplicationSettings settings;
  private final EmbeddedPostgres database;
  private final SynchronousStandbys synchronousStandbys;
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private volatile Optional<ReplicationStatus> lastStatus = Optional.empty();
  private volatile boolean statusFailing;
  private volatile long monitor = -1;

  private ReplicationNode(Vertx vertx, Path dbDir, ReplicationSettings settings, EmbeddedPostgres database) {
    this.vertx = vertx;
    this.dbDir = dbDir;
    this.settings = settings;
    this.database = database;
    this.synchronousStandbys = new SynchronousStandbys(vertx, database);
  }

  /**
   * Starts the node's database as the site's primary: initialised on first use, listening on the node's cluster
   * address, with the replication role, the site's superuser password, the peers' access rules and TLS. Fails on a
   * data directory that is a standby's (promote it instead).
   */
  public static Future<ReplicationNode> startPrimary(Vertx vertx, Path dbDir, ReplicationSettings settings) {
    return vertx.executeBlocking(() -> new ReplicationNode(vertx, dbDir, settings, openPrimary(dbDir, settings)),
        false);
  }

  /**
   * The blocking part of {@link #startPrimary}, for a node that starts its database before its Vert.x instance
   * exists (so that the start overlaps the cluster member's); {@link #adopt} it once Vert.x runs.
   */
  public static EmbeddedPostgres openPrimary(Path dbDir, ReplicationSettings settings) throws IOException,
      SQLException {
    if (Files.exists(dbDir.resolve(BaseBackupSink.DATA).resolve(NodeConfiguration.STANDBY_SIGNAL))) {
      throw new IOException("the database in " + dbDir + " is a standby: promote it rather than start it as the "
          + "primary");
    }
    EmbeddedPostgres database = EmbeddedPostgres.start(dbDir, settings.listener());
    try {
      preparePrimary(database, dbDir, settings);
    } catch (IOException | SQLException | RuntimeException e) {
      database.close();
      throw e;
    }
    LOG.info("The embedded database runs as the primary on {}:{}", settings.listener().address(),
        settings.listener().port());
    return database;
  }

  /** The node of a primary that {@link #openPrimary} started. */
  public static ReplicationNode adopt(Vertx vertx, Path dbDir, ReplicationSettings settings,
      EmbeddedPostgres primary) {
    return new ReplicationNode(vertx, dbDir, settings, primary);
  }

  /**
   * Starts the node's database as a hot standby of {@code primary}, streaming from its own slot there (made when
   * missing). The data directory must hold a copy of the primary's cluster: restored by {@link #sink}, or one that
   * {@link #assessRejoin} let follow.
   */
  public static Future<ReplicationNode> startStandby(Vertx vertx, Path dbDir, ReplicationSettings settings,
      PrimaryEndpoint primary) {
    return vertx.executeBlocking(() -> {
      Path pgData = dbDir.resolve(BaseBackupSink.DATA);
      if (!Files.exists(pgData.resolve("PG_VERSION"))) {
        throw new IOException("no database in " + dbDir + " to start as a standby: restore a base backup first");
      }
      try {
        ensureSlot(primary, settings);
      } catch (IOException e) {
        // it starts anyway and serves reads; its receiver retries, and follow() makes the slot once the primary answers
        LOG.warn("Starting the standby without its slot at {}: {}", primary, e.getMessage());
      }
      SecureFiles.writePrivate(pgData.resolve(NodeConfiguration.STANDBY_SIGNAL), "");
      NodeConfiguration.writeHba(pgData, settings, Database.EMBEDDED_DATABASE);
      Map<String, String> values = new java.util.LinkedHashMap<>(NodeConfiguration.serverSettings(dbDir, settings));
      values.putAll(NodeConfiguration.standbySettings(dbDir, settings, primary));
      NodeConfiguration.rewriteAutoConf(pgData, values);
      EmbeddedPostgres.adoptPassword(dbDir, settings.credentials().superuserPassword());
      EmbeddedPostgres database = EmbeddedPostgres.start(dbDir, settings.listener());
      LOG.info("The embedded database runs as a standby of {}", primary);
      return new ReplicationNode(vertx, dbDir, settings, database);
    }, false);
  }

  /**
   * Whether the stopped database in {@code dbDir} can follow {@code primary} as it is, or must be cloned again (its
   * history diverged: it wrote what the primary never had, or it is another cluster). Call it before
   * {@link #startStandby} on a node that returns, never start such a node as a primary.
   */
  public static Future<RejoinVerdict> assessRejoin(Vertx vertx, Path dbDir, ReplicationSettings settings,
      PrimaryEndpoint primary) {
    return vertx.executeBlocking(() -> {
      RejoinVerdict verdict = HistoryCheck.assess(dbDir.resolve(BaseBackupSink.DATA), primary, settings);
      LOG.info("The database in {} {} {}: {}", dbDir, verdict.canFollow() ? "can follow" : "must be cloned again from",
          primary, verdict.reason());
      return verdict;
    }, false);
  }

  /** The receiver of a base backup from {@code primary} into {@code dbDir}, whose database must not run. */
  public static BaseBackupSink sink(Vertx vertx, Path dbDir, ReplicationSettings settings, PrimaryEndpoint primary) {
    return new BaseBackupSink(vertx, dbDir, settings, primary);
  }

  private static void preparePrimary(EmbeddedPostgres database, Path dbDir, ReplicationSettings settings)
      throws IOException, SQLException {
    database.changePassword(settings.credentials().superuserPassword());
    NodeConfiguration.writeHba(database.dataDirectory(), settings, Database.EMBEDDED_DATABASE);
    try (Connection sql = Sql.local(database); Statement statement = sql.createStatement()) {
      try (ResultSet exists = statement.executeQuery("SELECT 1 FROM pg_roles WHERE rolname = '"
          + ReplicationCredentials.ROLE + "'")) {
        String verb = exists.next() ? "ALTER" : "CREATE";
        statement.execute("SET password_encryption = 'scram-sha-256'");
        statement.execute(verb + " ROLE " + ReplicationCredentials.ROLE + " WITH LOGIN REPLICATION PASSWORD "
            + NodeConfiguration.literal(settings.credentials().replicationPassword()));
      }
      // the site's other nodes use the primary's outpost database as this role: its data, not its schema
      statement.execute("GRANT pg_read_all_data, pg_write_all_data TO " + ReplicationCredentials.ROLE);
      try (ResultSet exists = statement.executeQuery("SELECT 1 FROM pg_database WHERE datname = '"
          + Database.EMBEDDED_DATABASE + "'")) {
        if (!exists.next()) {
          statement.execute("CREATE DATABASE " + Database.EMBEDDED_DATABASE);
        }
      }
      NodeConfiguration.alterSystem(sql, NodeConfiguration.serverSettings(dbDir, settings));
      try (ResultSet level = statement.executeQuery("SHOW wal_level")) {
        level.next();
        if (!"replica".equals(level.getString(1)) && !"logical".equals(level.getString(1))) {
          throw new IOException("the embedded database runs with wal_level " + level.getString(1)
              + ": restart it to replicate");
        }
      }
    }
  }

  /** Makes the standby's slot at the primary when it has none, reserving WAL from now on. */
  private static void ensureSlot(PrimaryEndpoint primary, ReplicationSettings settings) throws IOException {
    try (Connection sql = Sql.peer(primary, settings, false);
        PreparedStatement create = sql.prepareStatement("SELECT pg_create_physical_replication_slot(?, "
            + "immediately_reserve => true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots "
            + "WHERE slot_name = ?)")) {
      create.setString(1, settings.nodeName());
      create.setString(2, settings.nodeName());
      create.execute();
    } catch (SQLException e) {
      throw new IOException("cannot make the replication slot " + settings.nodeName() + " at " + primary + ": "
          + e.getMessage(), e);
    }
  }

  /** Promotes this standby to primary and waits until it accepts writes; its rule starts empty (no standby). */
  public Future<Void> promote() {
    return vertx.executeBlocking(() -> {
      try (Connection sql = Sql.local(database); Statement statement = sql.createStatement()) {
        try (ResultSet promoted = statement.executeQuery("SELECT pg_promote(wait => true, wait_seconds => "
            + PROMOTE_WAIT_SECONDS + ")")) {
          promoted.next();
          if (!promoted.getBoolean(1)) {
            throw new IOException("the standby did not finish its promotion within " + PROMOTE_WAIT_SECONDS + " s");
          }
        }
        NodeConfiguration.alterSystem(sql, Map.of(NodeConfiguration.SYNC_NAMES, ""));
      }
      LOG.info("The embedded database was promoted to primary");
      return null;
    }, false);
  }

  /**
   * Points this running standby at {@code primary} (a newly promoted one): its slot there is made, and
   * {@code primary_conninfo} and {@code primary_slot_name} are reloaded, after which it follows the primary's new
   * timeline. A standby that replayed beyond the point where the new primary's timeline began cannot follow it:
   * the site promotes the standby that replayed most.
   */
  public Future<Void> follow(PrimaryEndpoint primary) {
    return vertx.executeBlocking(() -> {
      refusePrimary();
      ensureSlot(primary, settings);
      NodeConfiguration.serverSettings(dbDir, settings); // the authority's copy, for a node that never ran as standby
      try (Connection sql = Sql.local(database)) {
        NodeConfiguration.alterSystem(sql, NodeConfiguration.standbySettings(dbDir, settings, primary));
      }
      LOG.info("The embedded database now follows the primary at {}", primary);
      return null;
    }, false);
  }

  /** A primary cannot become a standby while it runs: it must stop, be assessed and rejoin. */
  private void refusePrimary() throws SQLException, IOException {
    try (Connection sql = Sql.local(database); Statement statement = sql.createStatement();
        ResultSet recovery = statement.executeQuery("SELECT pg_is_in_recovery()")) {
      recovery.next();
      if (!recovery.getBoolean(1)) {
        throw new IOException("this node's database is a primary: stop it and rejoin (assessRejoin, then "
            + "startStandby) to follow another");
      }
    }
  }

  /**
   * Drops the replication slot of a standby that left the site for good, so that the primary stops keeping WAL for
   * it. Completes with whether there was one; fails while that standby streams.
   */
  public Future<Boolean> dropSlot(String standbyName) {
    return vertx.executeBlocking(() -> {
      try (Connection sql = Sql.local(database); PreparedStatement drop = sql.prepareStatement(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
        drop.setString(1, standbyName);
        try (ResultSet dropped = drop.executeQuery()) {
          return dropped.next();
        }
      }
    }, false);
  }

  /** Role, timeline, last WAL position and, on a primary, its standbys. */
  public Future<ReplicationStatus> status() {
    return vertx.executeBlocking(this::readStatus, false).onSuccess(status -> lastStatus = Optional.of(status));
  }

  /**
   * Every {@code period}, reads the status (for {@link #bindMetrics}) and, on a primary, brings the synchronous rule
   * in step with the standbys streaming; a round still running skips the next tick. Until {@link #stop()}.
   */
  public void startMonitoring(Duration period) {
    stopMonitoring();
    monitor = vertx.setPeriodic(period.toMillis(), id -> {
      if (refreshing.compareAndSet(false, true)) {
        status().compose(status -> status.role() == DatabaseRole.PRIMARY
                ? synchronousStandbys.check().<Void>mapEmpty() : Future.<Void>succeededFuture())
            .onComplete(this::monitored);
      }
    });
  }

  /** Logs the first failure of a series and the recovery, not every tick. */
  private void monitored(AsyncResult<Void> round) {
    refreshing.set(false);
    if (round.failed() && !statusFailing) {
      statusFailing = true;
      LOG.warn("Cannot read the replication status of the embedded database: {}", round.cause().getMessage());
    } else if (round.succeeded() && statusFailing) {
      statusFailing = false;
      LOG.info("The replication status of the embedded database can be read again");
    }
  }

  private void stopMonitoring() {
    long id = monitor;
    if (id >= 0) {
      vertx.cancelTimer(id);
      monitor = -1;
    }
  }

  /**
   * Publishes the last status read in {@code registry}: {@code outpost_db_replication_primary} (1 primary, 0
   * standby), {@code outpost_db_replication_timeline}, {@code outpost_db_replication_lsn} (bytes of WAL) and
   * {@code outpost_db_replication_standbys_streaming}; NaN before the first read.
   */
  public void bindMetrics(MeterRegistry registry) {
    gauge(registry, "outpost.db.replication.primary", "1 while this node's database is the primary, 0 as a standby",
        status -> status.role() == DatabaseRole.PRIMARY ? 1 : 0);
    gauge(registry, "outpost.db.replication.timeline", "The timeline this node's database writes or replays",
        ReplicationStatus::timeline);
    gauge(registry, "outpost.db.replication.lsn", "The last WAL position written (primary) or replayed (standby)",
        ReplicationStatus::lsnValue);
    gauge(registry, "outpost.db.replication.standbys.streaming", "Standbys streaming from this primary",
        status -> status.standbys().stream().filter(s -> "streaming".equals(s.state())).count());
  }

  private void gauge(MeterRegistry registry, String name, String description,
      ToDoubleFunction<ReplicationStatus> value) {
    Gauge.builder(name, this, node -> node.lastStatus.map(value::applyAsDouble).orElse(Double.NaN))
        .description(description).register(registry);
  }

  private ReplicationStatus readStatus() throws SQLException {
    try (Connection sql = Sql.local(database); Statement statement = sql.createStatement()) {
      boolean standby;
      try (ResultSet recovery = statement.executeQuery("SELECT pg_is_in_recovery()")) {
        recovery.next();
        standby = recovery.getBoolean(1);
      }
      if (standby) {
        try (ResultSet row = statement.executeQuery("SELECT coalesce(pg_last_wal_replay_lsn()::text, ''), "
            + "coalesce((SELECT received_tli FROM pg_stat_wal_receiver), "
            + "(SELECT timeline_id FROM pg_control_checkpoint()))")) {
          row.next();
          return new ReplicationStatus(DatabaseRole.STANDBY, row.getInt(2), row.getString(1), "", List.of());
        }
      }
      String lsn;
      int timeline;
      String rule;
      try (ResultSet row = statement.executeQuery("SELECT pg_current_wal_lsn()::text, "
          + "('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int, "
          + "current_setting('" + NodeConfiguration.SYNC_NAMES + "')")) {
        row.next();
        lsn = row.getString(1);
        timeline = row.getInt(2);
        rule = row.getString(3);
      }
      List<StandbyState> standbys = new ArrayList<>();
      try (ResultSet rows = statement.executeQuery("SELECT application_name, state, sync_state, "
          + "coalesce(replay_lsn::text, ''), coalesce((extract(epoch FROM replay_lag) * 1000)::bigint, -1) "
          + "FROM pg_stat_replication ORDER BY application_name")) {
        while (rows.next()) {
          standbys.add(new StandbyState(rows.getString(1), rows.getString(2), rows.getString(3), rows.getString(4),
              rows.getLong(5)));
        }
      }
      return new ReplicationStatus(DatabaseRole.PRIMARY, timeline, lsn, rule, standbys);
    }
  }

  /** A base backup of this primary for a new or returning standby. */
  public BaseBackupSource backupSource() {
    return new BaseBackupSource(vertx, database);
  }

  /** This primary's synchronous replication rule. */
  public SynchronousStandbys synchronousStandbys() {
    return synchronousStandbys;
  }

  /** The embedded server, for the node's own pool (superuser, loopback). */
  public EmbeddedPostgres database() {
    return database;
  }

  /** This node's settings: its name, listener, networks, TLS files and credentials. */
  public ReplicationSettings settings() {
    return settings;
  }

  /** Where this node listens for its peers, for the others' {@link PrimaryEndpoint} while it is the primary. */
  public PrimaryEndpoint endpoint() {
    return new PrimaryEndpoint(settings.listener().address(), settings.listener().port());
  }

  /** Stops the monitoring and the server (a fast shutdown). */
  public Future<Void> stop() {
    stopMonitoring();
    return vertx.executeBlocking(() -> {
      database.close();
      return null;
    }, false);
  }

  @Override
  public String toString() {
    return "ReplicationNode[" + settings.nodeName() + " in " + Objects.toString(dbDir) + "]";
  }
}
