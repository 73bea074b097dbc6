package dev.outpost.hub;

import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.broker.Broker;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.Database;
import dev.outpost.http.HealthRoutes;
import dev.outpost.http.HealthRoutes.Check;
import dev.outpost.http.Tls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.Objects;

/**
 * The standalone hub ({@code outpost hub}): its own certificates and database, and the HTTPS endpoint
 * that appliances dial out to. The caller owns the data-dir lock.
 */
public final class HubNode {

  private final OutpostConfig config;
  private final SiteCertificates certificates;
  private Vertx vertx;
  private Database db;
  private HubServer server;

  private HubNode(OutpostConfig config, SiteCertificates certificates) {
    this.config = Objects.requireNonNull(config);
    this.certificates = Objects.requireNonNull(certificates);
  }

  public static Future<HubNode> start(OutpostConfig config, SiteCertificates certificates) {
    HubNode node = new HubNode(config, certificates);
    return node.boot().map(node).recover(e -> node.stop().transform(ignored -> Future.failedFuture(e)));
  }

  private Future<Void> boot() {
    vertx = Vertx.vertx();
    return Database.start(vertx, config.db(), config.dataDir())
        .compose(database -> {
          db = database;
          HealthRoutes health = new HealthRoutes().check("db", () -> db.ping().map(v -> Check.up(db.description())));
          BrokerService broker = new BrokerService(db, Broker.Settings.defaults(), Clock.systemUTC());
          server = new HubServer(Tls.server(certificates, config.hub().host(), config.hub().port()),
              ConnectorAuthenticator.none(), broker, health);
          return vertx.deployVerticle(broker).compose(id -> vertx.deployVerticle(server)).mapEmpty();
        });
  }

  public int port() {
    return server.port();
  }

  public String caFingerprintDisplay() {
    return Fingerprints.display(certificates.caFingerprint());
  }

  public Future<Void> stop() {
    Future<Void> chain = Future.succeededFuture();
    if (db != null) {
      chain = chain.compose(v -> db.close().recover(e -> Future.succeededFuture()));
    }
    if (vertx != null) {
      chain = chain.compose(v -> vertx.close().recover(e -> Future.succeededFuture()));
    }
    return chain;
  }
}
