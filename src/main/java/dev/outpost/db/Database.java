package dev.outpost.db;

import dev.outpost.error.Failures;
import dev.outpost.error.ServerErrorException;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlConnectOptions;
import io.vertx.sqlclient.SqlConnection;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's PostgreSQL: embedded under the data dir by default, external with {@code db.url}. All runtime
 * queries go through the Vert.x reactive client; migrations run once at start.
 */
public final class Database {

  private static final Logger LOG = LoggerFactory.getLogger(Database.class);
  /** The database Outpost keeps its data in on the embedded server. */
  public static final String EMBEDDED_DATABASE = "outpost";

  private final Vertx vertx;
  private final DbConfig config;
  private final Supplier<PgConnectOptions> server;
  private volatile Pool pool;
  private final EmbeddedPostgres embedded;
  private final Supplier<String> description;

  private Database(Vertx vertx, DbConfig config, Supplier<PgConnectOptions> server, EmbeddedPostgres embedded,
      Supplier<String> description) {
    this.vertx = vertx;
    this.config = config;
    this.server = server;
    this.pool = newPool(vertx, config, server);
    this.embedded = embedded;
    this.description = description;
  }

  /**
   * Starts the embedded server (blocking, on a worker) when no URL is configured, connects the pool and runs
   * migrations.
   */
  public static Future<Database> start(Vertx vertx, DbConfig config, Path dataDir) {
    Objects.requireNonNull(vertx);
    if (config.embedded()) {
      return vertx.executeBlocking(() -> EmbeddedPostgres.start(dataDir.resolve("db")), false)
          .compose(server -> prepareEmbedded(vertx, config, server));
    }
    return startExternal(vertx, config);
  }

  /**
   * Like {@link #start}, for an embedded server that the caller began starting early (see
   * {@link #startEmbeddedEarly}), so that its start-up overlaps other work.
   */
  public static Future<Database> start(Vertx vertx, DbConfig config, CompletableFuture<EmbeddedPostgres> early) {
    if (!config.embedded()) {
      return startExternal(vertx, config);
    }
    return Future.fromCompletionStage(early, vertx.getOrCreateContext())
        .recover(e -> Future.failedFuture(new DatabaseUnavailableException(
            "cannot start the embedded PostgreSQL: " + Failures.rootMessage(e), e)))
        .compose(server -> prepareEmbedded(vertx, config, server));
  }

  /**
   * Starts the embedded server on its own thread; the future completes when it accepts connections. It never takes
   * one of {@code reserved}, the ports the node's own listeners are about to bind.
   */
  public static CompletableFuture<EmbeddedPostgres> startEmbeddedEarly(Path dataDir, Set<Integer> reserved) {
    CompletableFuture<EmbeddedPostgres> result = new CompletableFuture<>();
    Thread starter = new Thread(() -> {
      try {
        result.complete(EmbeddedPostgres.start(dataDir.resolve("db"), reserved));
      } catch (Exception | Error e) {
        result.completeExceptionally(e);
      }
    }, "outpost-embedded-postgres-start");
    starter.setDaemon(true);
    starter.start();
    return result;
  }

  /**
   * Connects to a node's database without running migrations, for tools that work next to a node (backups):
   * the external one; with the embedded one, the server of the node running on {@code dataDir} when
   * {@code nodeRunning} (its port from {@code postmaster.pid}), else a server started here and stopped by
   * {@link #close()}.
   */
  public static Future<Database> connect(Vertx vertx, DbConfig config, Path dataDir, boolean nodeRunning) {
    if (!config.embedded()) {
      return startExternal(vertx, config, false);
    }
    Path dbDir = dataDir.resolve("db");
    if (nodeRunning) {
      return vertx.executeBlocking(() -> EmbeddedPostgres.runningPort(dbDir), false)
          .compose(port -> vertx.executeBlocking(() -> EmbeddedPostgres.password(dbDir), false)
              .compose(password -> open(vertx, config, () -> embeddedOptions(port, password, EMBEDDED_DATABASE),
                  null, () -> "embedded PostgreSQL of the running node on 127.0.0.1:" + port, false)));
    }
    return vertx.executeBlocking(() -> EmbeddedPostgres.start(dbDir), false)
        .compose(server -> prepareEmbedded(vertx, config, server, false));
  }

  /**
   * Opens the pool of a node whose embedded database is replicated: {@code server} names the site's primary at
   * each new connection (this node's own server on loopback, or another node's), so that the pool follows a
   * primary that moves. Migrations run only when {@code migrate} (on the primary). The server is not the pool's: its
   * owner stops it.
   */
  public static Future<Database> replicated(Vertx vertx, DbConfig config, Supplier<PgConnectOptions> server,
      Supplier<String> description, boolean migrate) {
    return open(vertx, config, server, null, description, migrate);
  }

  /** The options of the superuser's loopback connection to an embedded server of this node. */
  public static PgConnectOptions loopback(EmbeddedPostgres server) {
    return embeddedOptions(server.port(), server.password(), EMBEDDED_DATABASE);
  }

  private static Future<Database> startExternal(Vertx vertx, DbConfig config) {
    return startExternal(vertx, config, true);
  }

  private static Future<Database> startExternal(Vertx vertx, DbConfig config, boolean migrate) {
    PgConnectOptions options = PgConnectOptions.fromUri(config.url());
    String where = options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
    return open(vertx, config, () -> new PgConnectOptions(options), null, () -> "external PostgreSQL at " + where,
        migrate);
  }

  private static Future<Database> prepareEmbedded(Vertx vertx, DbConfig config, EmbeddedPostgres server) {
    return prepareEmbedded(vertx, config, server, true);
  }

  private static Future<Database> prepareEmbedded(Vertx vertx, DbConfig config, EmbeddedPostgres server,
      boolean migrate) {
    PgConnectOptions admin = embeddedOptions(server.port(), server.password(), "postgres");
    // the port is read at every new connection: a restarted server may have had to move to another one
    return createDatabaseIfMissing(vertx, admin)
        .compose(v -> open(vertx, config, () -> embeddedOptions(server.port(), server.password(), EMBEDDED_DATABASE),
            server, () -> "embedded PostgreSQL on 127.0.0.1:" + server.port(), migrate))
        .onFailure(e -> closeQuietly(server));
  }

  private static PgConnectOptions embeddedOptions(int port, String password, String database) {
    return new PgConnectOptions()
        .setHost("127.0.0.1")
        .setPort(port)
        .setUser(EmbeddedPostgres.SUPERUSER)
        .setPassword(password)
        .setDatabase(database);
  }

  private static Future<Void> createDatabaseIfMissing(Vertx vertx, PgConnectOptions admin) {
    Pool bootstrap = PgBuilder.pool().with(new PoolOptions().setMaxSize(1)).connectingTo(admin).using(vertx).build();
    return bootstrap.query("SELECT 1 FROM pg_database WHERE datname = '" + EMBEDDED_DATABASE + "'").execute()
        .compose(rows -> rows.size() > 0 ? Future.<Void>succeededFuture()
            : bootstrap.query("CREATE DATABASE " + EMBEDDED_DATABASE).execute().<Void>mapEmpty())
        .eventually(bootstrap::close);
  }

  private static Future<Database> open(Vertx vertx, DbConfig config, Supplier<PgConnectOptions> server,
      EmbeddedPostgres embedded, Supplier<String> description, boolean migrate) {
    Database db = new Database(vertx, config, server, embedded, description);
    Pool pool = db.pool;
    Future<Integer> migrated = migrate ? new Migrations(pool).migrate() : pool.query("SELECT 1").execute().map(0);
    return migrated
        .map(count -> {
          LOG.info("Database ready: {} ({} migration(s) applied)", description.get(), count);
          return db;
        })
        .recover(e -> db.close().transform(ignored -> Future.failedFuture(new DatabaseUnavailableException(
            "cannot use " + description.get() + ": " + Failures.rootMessage(e), e))));
  }

  private static Pool newPool(Vertx vertx, DbConfig config, Supplier<PgConnectOptions> server) {
    Supplier<Future<SqlConnectOptions>> options = () -> Future.succeededFuture(server.get().setReconnectAttempts(0)
        .setCachePreparedStatements(true).setPipeliningLimit(256));
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(config.poolSize()).setName("outpost-db").setShared(false)
            .setMaxWaitQueueSize(1_000).setConnectionTimeout(10))
        .connectingTo(options)
        .using(vertx)
        .build();
  }

  /**
   * Replaces the pool's connections by new ones to wherever the server supplier now points (the site's primary
   * moved): the old pool is closed, failing what still ran on it, so that no write reaches a former primary that
   * still runs.
   */
  public Future<Void> renewConnections() {
    Pool old = pool;
    pool = newPool(vertx, config, server);
    return old.close().recover(e -> Future.succeededFuture());
  }

  /** The shared pool; prefer {@link #transaction} for writes that must land together. */
  public Pool pool() {
    return pool;
  }

  public <T> Future<T> transaction(Function<SqlConnection, Future<T>> work) {
    return pool().withTransaction(work);
  }

  /** A cheap round trip, for readiness checks. */
  public Future<Void> ping() {
    return pool().query("SELECT 1").execute().<Void>mapEmpty()
        .recover(e -> Future.failedFuture(ServerErrorException.unavailable("database: " + Failures.rootMessage(e)
            + (embedded != null && !embedded.running() ? " (the embedded PostgreSQL stopped and is being restarted)"
            : ""), e)));
  }

  /** Where the data lives, without secrets. */
  public String description() {
    return description.get();
  }

  /**
   * Publishes the database's own metrics in {@code registry}: with the embedded server, its supervision (see
   * {@link EmbeddedPostgres#bindMetrics}); an external server has none of its own here.
   */
  public void bindMetrics(MeterRegistry registry) {
    if (embedded != null) {
      embedded.bindMetrics(registry);
    }
  }

  public boolean embedded() {
    return embedded != null;
  }

  /** Closes the pool, then stops the embedded server (on a worker). */
  public Future<Void> close() {
    return pool().close().recover(e -> Future.succeededFuture())
        .compose(v -> embedded == null ? Future.succeededFuture()
            : vertx.executeBlocking(() -> {
              embedded.close();
              return null;
            }, false));
  }

  private static void closeQuietly(EmbeddedPostgres server) {
    try {
      server.close();
    } catch (Exception e) {
      LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
    }
  }

}
