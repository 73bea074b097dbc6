package dev.outpost.hub;

import dev.outpost.crypto.CertificateRequests;
import dev.outpost.crypto.EnrollmentToken;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.relay.TunnelProtocol;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resource locations on the hub, the connector tokens that enroll their appliances, and the appliances'
 * client certificates. An appliance enrolls once with a token and authenticates with its certificate after; before
 * that certificate expires it renews it over its tunnel ({@link TunnelProtocol#RENEW_CONNECTOR}), and the one it had
 * keeps working until it expires.
 */
public final class Locations implements ConnectorAuthenticator, HubOperations {

  /** Default validity of a connector certificate ({@code tls.connector-certificate-validity}). */
  public static final Duration CONNECTOR_VALIDITY = Duration.ofDays(825);
  private static final Logger LOG = LoggerFactory.getLogger(Locations.class);

  private final Vertx vertx;
  private final Database db;
  private final SiteCertificates hubCertificates;
  private final Duration validity;

  public Locations(Vertx vertx, Database db, SiteCertificates hubCertificates) {
    this(vertx, db, hubCertificates, CONNECTOR_VALIDITY);
  }

  /** @param validity how long a connector certificate is valid (issued at enrollment or renewal) */
  public Locations(Vertx vertx, Database db, SiteCertificates hubCertificates, Duration validity) {
    this.vertx = Objects.requireNonNull(vertx);
    this.db = Objects.requireNonNull(db);
    this.hubCertificates = Objects.requireNonNull(hubCertificates);
    this.validity = Objects.requireNonNull(validity);
  }

  /** Creates a location and a first connector token; the token text is returned once. */
  public Future<JsonObject> create(SqlConnection conn, String name, String actor, int uses, Duration ttl) {
    UUID id = UUID.randomUUID();
    return conn.preparedQuery("INSERT INTO locations(id, name, created_by) VALUES ($1, $2, $3)")
        .execute(Tuple.of(id, name, actor))
        .recover(e -> Future.failedFuture(isUnique(e)
            ? ClientErrorException.conflict("a resource location named '" + name + "' already exists") : e))
        .compose(v -> newToken(conn, id, uses, ttl))
        .map(token -> token.put("id", id.toString()).put("name", name));
  }

  /** A new connector token for an existing location. */
  public Future<JsonObject> newToken(SqlConnection conn, UUID locationId, int uses, Duration ttl) {
    EnrollmentToken token = EnrollmentToken.create(EnrollmentToken.CONNECTOR, hubCertificates.caFingerprint());
    Instant expires = Instant.now().plus(ttl);
    return conn.preparedQuery("INSERT INTO connector_tokens(id, token_hash, location_id, uses_left, expires_at) "
            + "VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(UUID.randomUUID(), token.secretHash(), locationId, uses, expires.atOffset(ZoneOffset.UTC)))
        .map(v -> new JsonObject().put("connectorToken", token.text()).put("tokenUses", uses)
            .put("tokenExpiresAt", expires.toString()));
  }

  public Future<JsonArray> list() {
    return db.pool().query("""
            SELECT l.id, l.name, l.created_at,
              (SELECT count(*) FROM appliances a WHERE a.location_id = l.id AND NOT a.revoked) AS appliances,
              (SELECT count(*) FROM pools p WHERE p.location = l.name) AS pools
            FROM locations l ORDER BY l.name""").execute()
        .map(rows -> {
          JsonArray items = new JsonArray();
          for (Row r : rows) {
            items.add(new JsonObject().put("id", r.getUUID(0).toString()).put("name", r.getString(1))
                .put("createdAt", r.getOffsetDateTime(2).toInstant().toString()).put("appliances", r.getLong(3))
                .put("pools", r.getLong(4)));
          }
          return items;
        });
  }

  /**
   * Enrolls an appliance node: checks and spends the token, records the node and returns its client
   * certificate, signed by the hub CA, with the hub CA itself.
   */
  public Future<JsonObject> enroll(String tokenText, String node, String name, String publicKeyPem,
      String siteCaSha256) {
    EnrollmentToken token = EnrollmentToken.parse(tokenText, EnrollmentToken.CONNECTOR).orElse(null);
    if (token == null) {
      return Future.failedFuture(ClientErrorException.validation("not a connector token (expected "
          + EnrollmentToken.CONNECTOR + ".<fingerprint>.<secret>); copy it again from the hub"));
    }
    PublicKey key;
    UUID applianceId;
    try {
      key = Pem.parsePublicKey(publicKeyPem);
      applianceId = UUID.fromString(node);
      Fingerprints.normalize(siteCaSha256);
    } catch (IllegalArgumentException | IOException e) {
      return Future.failedFuture(ClientErrorException.validation(e.getMessage()));
    }
    return db.transaction(conn -> conn.preparedQuery("""
            UPDATE connector_tokens t SET uses_left = uses_left - 1
            FROM locations l
            WHERE t.token_hash = $1 AND t.location_id = l.id AND NOT t.revoked AND t.uses_left > 0
              AND t.expires_at > now()
            RETURNING l.id, l.name""").execute(Tuple.of(token.secretHash()))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(ClientErrorException.unauthorized("the connector token is unknown, expired, "
                + "used up or revoked; create a new one on the hub (POST /admin/api/v1/locations/{name}/tokens)"));
          }
          Row location = rows.iterator().next();
          return vertx.executeBlocking(() -> issue(key, applianceId.toString(), location.getString(1)), false)
              .compose(cert -> conn.preparedQuery("INSERT INTO appliances(id, location_id, name, certificate_sha256, "
                      + "site_ca_sha256) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET "
                      + "certificate_sha256 = excluded.certificate_sha256, revoked = false, name = excluded.name")
                  .execute(Tuple.of(applianceId, location.getUUID(0), name, Fingerprints.sha256(cert),
                      Fingerprints.normalize(siteCaSha256)))
                  .map(v -> new JsonObject().put("location", location.getString(1))
                      .put("certificate", Pem.encode(cert)).put("ca", hubCertificates.caPem())));
        }));
  }

  private X509Certificate issue(PublicKey key, String applianceId, String location) {
    return hubCertificates.issue(key, "CN=" + applianceId + ",OU=outpost-appliance,O=" + location, List.of(),
        validity, false);
  }

  /** {@link TunnelProtocol#RENEW_CONNECTOR} for the appliance whose certificate authenticated the tunnel. */
  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    return TunnelProtocol.RENEW_CONNECTOR.equals(op) ? body -> renew(caller, body) : null;
  }

  /**
   * Issues a connector certificate for the request's key to the appliance that holds {@code caller}'s certificate,
   * as its row names it (same id and location), and makes it the appliance's current certificate; the presented one
   * becomes its previous and is accepted until it expires. Answers {@code {certificate, ca}}.
   */
  private Future<JsonObject> renew(Caller caller, JsonObject body) {
    X509Certificate presented = caller.channel().certificate().orElse(null);
    if (presented == null) {
      return Future.failedFuture(ClientErrorException.unauthorized("only an appliance that authenticated its tunnel "
          + "with a connector certificate can renew it"));
    }
    PublicKey key;
    try {
      key = CertificateRequests.publicKey(body.getValue("csr") instanceof String csr ? csr : null);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(ClientErrorException.validation(e.getMessage()));
    }
    if (CertificateRequests.sameKey(key, presented.getPublicKey())) {
      return Future.failedFuture(ClientErrorException.validation("the request is for the key the appliance holds "
          + "already; make a new key pair"));
    }
    String presentedSha = Fingerprints.sha256(presented);
    return db.transaction(conn -> conn.preparedQuery("SELECT a.id, l.name FROM appliances a JOIN locations l "
            + "ON l.id = a.location_id WHERE (a.certificate_sha256 = $1 OR a.previous_certificate_sha256 = $1) "
            + "AND NOT a.revoked FOR UPDATE OF a").execute(Tuple.of(presentedSha))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(ClientErrorException.forbidden("the tunnel's certificate belongs to no "
                + "enrolled appliance any more; enroll the appliance again with a new connector token"));
          }
          Row row = rows.iterator().next();
          X509Certificate issued = issue(key, row.getUUID(0).toString(), row.getString(1));
          return conn.preparedQuery("UPDATE appliances SET previous_certificate_sha256 = $2, certificate_sha256 = $3, "
                  + "certificate_renewed_at = now() WHERE id = $1")
              .execute(Tuple.of(row.getUUID(0), presentedSha, Fingerprints.sha256(issued)))
              .map(v -> {
                LOG.atInfo().addKeyValue("node", caller.node()).addKeyValue("location", row.getString(1))
                    .log("Renewed an appliance's connector certificate: valid until {}",
                        issued.getNotAfter().toInstant());
                return new JsonObject().put("certificate", Pem.encode(issued)).put("ca", hubCertificates.trustPem());
              });
        }));
  }

  /** Appliances authenticate with the client certificate they received at enrollment. */
  @Override
  public Future<String> authenticate(String bearer, List<Certificate> peerCertificates) {
    if (peerCertificates.isEmpty() || !(peerCertificates.get(0) instanceof X509Certificate cert)) {
      return Future.failedFuture(new IllegalArgumentException("no client certificate"));
    }
    return db.pool().preparedQuery("SELECT l.name FROM appliances a JOIN locations l ON l.id = a.location_id "
            + "WHERE (a.certificate_sha256 = $1 OR a.previous_certificate_sha256 = $1) AND NOT a.revoked")
        .execute(Tuple.of(Fingerprints.sha256(cert)))
        .compose(rows -> rows.size() == 0
            ? Future.failedFuture(new IllegalArgumentException("certificate of an unknown or revoked appliance"))
            : Future.succeededFuture(rows.iterator().next().getString(0)));
  }

  private static boolean isUnique(Throwable e) {
    return e instanceof io.vertx.pgclient.PgException pg && "23505".equals(pg.getSqlState());
  }
}
