package dev.outpost.hosts.impl;

import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.hosts.EnrollmentLedger;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.Objects;
import java.util.UUID;

/** Enrollments recorded in this process's database, in one transaction with the token's use and the audit row. */
public final class DatabaseEnrollmentLedger implements EnrollmentLedger {

  private final Database db;

  public DatabaseEnrollmentLedger(Database db) {
    this.db = Objects.requireNonNull(db);
  }

  @Override
  public Future<JsonObject> enroll(String tokenHash, Entry entry) {
    UUID hostId;
    try {
      hostId = UUID.fromString(entry.hostId());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(ClientErrorException.validation("host id must be a UUID"));
    }
    return db.transaction(conn -> consumeToken(conn, tokenHash).compose(token -> insertHost(conn, token, hostId,
        entry)));
  }

  @Override
  public Future<JsonObject> find(String certificateSha256) {
    return db.pool().preparedQuery("SELECT id, name, pool_id, address, revoked FROM hosts "
            + "WHERE certificate_sha256 = $1 OR previous_certificate_sha256 = $1")
        .execute(Tuple.of(certificateSha256))
        .map(rows -> {
          if (rows.size() == 0) {
            return new JsonObject();
          }
          Row row = rows.iterator().next();
          return new JsonObject().put("id", row.getUUID("id").toString()).put("name", row.getString("name"))
              .put("poolId", row.getUUID("pool_id").toString()).put("address", row.getString("address"))
              .put("revoked", row.getBoolean("revoked"));
        });
  }

  @Override
  public Future<Void> renew(Renewal renewal) {
    UUID hostId;
    try {
      hostId = UUID.fromString(renewal.hostId());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(ClientErrorException.validation("host id must be a UUID"));
    }
    // one statement: the presented certificate must still be the host's (current or previous), and then becomes its
    // previous, whichever it was, so that a host never holds more than two accepted certificates
    return db.transaction(conn -> conn.preparedQuery("UPDATE hosts SET previous_certificate_sha256 = $2, "
            + "certificate_sha256 = $3, certificate_renewed_at = now() WHERE id = $1 AND NOT revoked "
            + "AND (certificate_sha256 = $2 OR previous_certificate_sha256 = $2) RETURNING name")
        .execute(Tuple.of(hostId, renewal.presentedSha256(), renewal.certificateSha256()))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.failedFuture(ClientErrorException.forbidden("host " + hostId + " does not hold the "
                + "certificate it presented any more, or was deleted; enroll it again"));
          }
          String name = rows.iterator().next().getString("name");
          JsonObject detail = new JsonObject().put("previousCertificateSha256", renewal.presentedSha256())
              .put("certificateSha256", renewal.certificateSha256());
          return conn.preparedQuery("INSERT INTO audit_log(actor, action, target_type, target_id, target_name, "
                  + "detail, request_id, node) VALUES ($1, 'host.certificate-renew', 'host', $2, $3, $4, $5, $6)")
              .execute(Tuple.of("host:" + hostId, hostId.toString(), name, detail, renewal.requestId(),
                  renewal.node()));
        })
        .mapEmpty());
  }

  /** The token's row, locked and with one use taken; fails 401/403 when it cannot be used. */
  private Future<Row> consumeToken(SqlConnection conn, String tokenHash) {
    return conn.preparedQuery("SELECT t.id, t.pool_id, p.name AS pool, t.uses_left, t.revoked, "
            + "t.expires_at <= now() AS expired, t.expires_at FROM enroll_tokens t JOIN pools p ON p.id = t.pool_id "
            + "WHERE t.token_hash = $1 FOR UPDATE OF t")
        .execute(Tuple.of(tokenHash))
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

  private Future<JsonObject> insertHost(SqlConnection conn, Row token, UUID hostId, Entry entry) {
    UUID poolId = token.getUUID("pool_id");
    String pool = token.getString("pool");
    JsonObject detail = new JsonObject().put("name", entry.name()).put("address", entry.address())
        .put("pool", pool).put("certificateSha256", entry.certificateSha256());
    return conn.preparedQuery("INSERT INTO hosts(id, name, pool_id, address, certificate_sha256) "
            + "VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, entry.name(), poolId, entry.address(), entry.certificateSha256()))
        // the same row shape as the admin API's audit log; the actor is the token, not a person
        .compose(v -> conn.preparedQuery("INSERT INTO audit_log(actor, action, target_type, target_id, target_name, "
                + "detail, request_id, node) VALUES ($1, 'host.enroll', 'host', $2, $3, $4, $5, $6)")
            .execute(Tuple.of("enroll-token:" + token.getUUID("id"), hostId.toString(), entry.name(), detail,
                entry.requestId(), entry.node())))
        .map(v -> new JsonObject().put("pool", pool).put("poolId", poolId.toString()));
  }
}
