package dev.outpost.hosts.impl;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.crypto.EnrollmentToken;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /agent/v1/enroll}: a host trades an enrollment token and its public key for a client certificate
 * signed by the site CA. The token check, the use count, the host row and the audit row land in one
 * transaction, so a refused or failed enrollment changes nothing. Failed attempts are limited per address.
 */
public final class Enrollment {

  private static final Logger LOG = LoggerFactory.getLogger(Enrollment.class);
  private static final Pattern NAME = AgentLinkProtocol.HOST_NAME;
  private static final Pattern ADDRESS = AgentLinkProtocol.HOST_ADDRESS;

  /** A checked request. */
  record Request(EnrollmentToken token, PublicKey key, String name, String address) {
  }

  private final Database db;
  private final SiteCertificates certificates;
  private final Duration validity;
  private final SlidingWindowLimiter failures;
  private final String node;

  /**
   * @param failuresPerMinute failed attempts one address may make per minute before it gets 429
   * @param node this node's id, for audit rows
   */
  public Enrollment(Database db, SiteCertificates certificates, Duration validity, int failuresPerMinute,
      Clock clock, String node) {
    this.db = Objects.requireNonNull(db);
    this.certificates = Objects.requireNonNull(certificates);
    this.validity = Objects.requireNonNull(validity);
    this.failures = new SlidingWindowLimiter(failuresPerMinute, Duration.ofMinutes(1), clock);
    this.node = Objects.requireNonNull(node);
  }

  /** Enrolls a host and answers {@code {hostId, certificate, ca, pool, poolId, name}}. */
  public Future<JsonObject> enroll(JsonObject body, String remoteAddress, String requestId) {
    var wait = failures.blocked(remoteAddress);
    if (wait.isPresent()) {
      return Future.failedFuture(ClientErrorException.tooManyRequests("too many failed enrollment attempts from "
          + remoteAddress + "; try again later", wait.get()));
    }
    Future<JsonObject> result;
    try {
      Request request = check(body);
      result = db.transaction(conn -> consumeToken(conn, request.token())
          .compose(token -> insertHost(conn, token, request, requestId)));
    } catch (ClientErrorException e) {
      result = Future.failedFuture(e);
    }
    return result.onFailure(e -> {
      if (e instanceof OutpostException o && o.status() < 500) {
        failures.record(remoteAddress);
        LOG.info("Refused an enrollment from {}: {}", remoteAddress, o.detail());
      }
    });
  }

  Request check(JsonObject body) {
    EnrollmentToken token = EnrollmentToken.parse(text(body, "token"), EnrollmentToken.AGENT)
        .orElseThrow(() -> ClientErrorException.unauthorized("not an Outpost enrollment token (expected "
            + EnrollmentToken.AGENT + ".<ca-sha256>.<secret>); create one with POST /admin/api/v1/enroll-tokens"));
    if (!token.caFingerprint().equals(certificates.caFingerprint())) {
      throw ClientErrorException.unauthorized("the token was issued by another site: its CA fingerprint "
          + Fingerprints.display(token.caFingerprint()) + " is not this site's");
    }
    String name = text(body, "name");
    if (!NAME.matcher(name).matches()) {
      throw ClientErrorException.validation("field 'name' must match " + NAME.pattern());
    }
    String address = text(body, "address");
    if (!ADDRESS.matcher(address).matches()) {
      throw ClientErrorException.validation("field 'address' must be an IP address or DNS name");
    }
    Object csr = body.getValue("csr");
    Object publicKey = body.getValue("publicKey");
    if ((csr == null) == (publicKey == null)) {
      throw ClientErrorException.validation("send exactly one of 'csr' (PEM PKCS#10) and 'publicKey' (PEM)");
    }
    PublicKey key = csr != null ? PublicKeys.fromCsr(text(body, "csr")) : PublicKeys.fromPem(text(body, "publicKey"));
    return new Request(token, key, name, address);
  }

  private static String text(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ClientErrorException.validation("field '" + field + "' is required");
    }
    if (!(value instanceof String text)) {
      throw ClientErrorException.validation("field '" + field + "' must be a string");
    }
    return text.strip();
  }

  /** The token's row, locked and with one use taken; fails 401/403 when it cannot be used. */
  private Future<Row> consumeToken(SqlConnection conn, EnrollmentToken token) {
    return conn.preparedQuery("SELECT t.id, t.pool_id, p.name AS pool, t.uses_left, t.revoked, "
            + "t.expires_at <= now() AS expired, t.expires_at FROM enroll_tokens t JOIN pools p ON p.id = t.pool_id "
            + "WHERE t.token_hash = $1 FOR UPDATE OF t")
        .execute(Tuple.of(token.secretHash()))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(ClientErrorException.unauthorized(
                "unknown enrollment token: it was never issued by this site, or was mistyped"));
          }
          Row row = rows.iterator().next();
          if (row.getBoolean("revoked")) {
            return Future.failedFuture(ClientErrorException.forbidden("the enrollment token was revoked; "
                + "ask for a new one"));
          }
          if (row.getBoolean("expired")) {
            return Future.failedFuture(ClientErrorException.forbidden("the enrollment token expired at "
                + row.getOffsetDateTime("expires_at").toInstant() + "; ask for a new one"));
          }
          if (row.getInteger("uses_left") <= 0) {
            return Future.failedFuture(ClientErrorException.forbidden("the enrollment token has been used up; "
                + "ask for a new one"));
          }
          return conn.preparedQuery("UPDATE enroll_tokens SET uses_left = uses_left - 1 WHERE id = $1")
              .execute(Tuple.of(row.getUUID("id"))).map(row);
        });
  }

  private Future<JsonObject> insertHost(SqlConnection conn, Row token, Request request, String requestId) {
    UUID hostId = UUID.randomUUID();
    // Bouncy Castle keeps the order as written (DER order): most significant first, so Java shows CN=...,OU=...
    X509Certificate certificate = certificates.issue(new KeyPair(request.key(), null),
        "OU=" + AgentLinkProtocol.CERTIFICATE_OU + ",CN=" + hostId, List.of(), validity, false);
    String fingerprint = Fingerprints.sha256(certificate);
    UUID poolId = token.getUUID("pool_id");
    String pool = token.getString("pool");
    JsonObject detail = new JsonObject().put("name", request.name()).put("address", request.address())
        .put("pool", pool).put("certificateSha256", fingerprint);
    return conn.preparedQuery("INSERT INTO hosts(id, name, pool_id, address, certificate_sha256) "
            + "VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, request.name(), poolId, request.address(), fingerprint))
        // the same row shape as the admin API's audit log; the actor is the token, not a person
        .compose(v -> conn.preparedQuery("INSERT INTO audit_log(actor, action, target_type, target_id, target_name, "
                + "detail, request_id, node) VALUES ($1, 'host.enroll', 'host', $2, $3, $4, $5, $6)")
            .execute(Tuple.of("enroll-token:" + token.getUUID("id"), hostId.toString(), request.name(), detail,
                requestId, node)))
        .map(v -> {
          LOG.info("Enrolled host {} ({}) into pool {}", request.name(), hostId, pool);
          return new JsonObject().put("hostId", hostId.toString()).put("name", request.name())
              .put("pool", pool).put("poolId", poolId.toString())
              .put("certificate", Pem.encode(certificate)).put("ca", certificates.caPem());
        });
  }
}
