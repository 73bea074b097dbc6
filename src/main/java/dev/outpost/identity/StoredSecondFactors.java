package dev.outpost.identity;

import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.db.StoredSecretsKey;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/** Enrolments kept in the site's database ({@code user_factors}), secrets sealed with the key for stored secrets. */
public final class StoredSecondFactors implements SecondFactors {

  private final Database db;
  private final SecretBox secrets;

  public StoredSecondFactors(Database db, SecretBox secrets) {
    this.db = Objects.requireNonNull(db);
    this.secrets = Objects.requireNonNull(secrets);
  }

  /** One sealed secret of the table, to check a key for stored secrets against (see {@link StoredSecretsKey}). */
  public static Future<Optional<StoredSecretsKey.Sealed>> sealedSample(SqlConnection conn) {
    return conn.query("SELECT user_id, totp_secret_enc FROM user_factors WHERE totp_secret_enc IS NOT NULL LIMIT 1")
        .execute()
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(new StoredSecretsKey.Sealed(
            SecondFactors.sealPurpose(rows.iterator().next().getUUID(0).toString()),
            rows.iterator().next().getString(1))));
  }

  @Override
  public Future<Void> propose(String userId, String secret) {
    return db.pool().preparedQuery("INSERT INTO user_factors(user_id, proposed_secret_enc, proposed_at) "
            + "VALUES ($1, $2, now()) ON CONFLICT (user_id) DO UPDATE SET proposed_secret_enc = excluded"
            + ".proposed_secret_enc, proposed_at = now(), updated_at = now()")
        .execute(Tuple.of(UUID.fromString(userId), seal(userId, secret)))
        .recover(e -> e instanceof io.vertx.pgclient.PgException pg && "23503".equals(pg.getSqlState())
            ? Future.failedFuture(ClientErrorException.notFound("no such account: " + userId))
            : Future.failedFuture(e))
        .mapEmpty();
  }

  @Override
  public Future<String> proposed(String userId) {
    return db.pool().preparedQuery("SELECT proposed_secret_enc FROM user_factors WHERE user_id = $1 "
            + "AND proposed_at > now() - interval '1 hour'")
        .execute(Tuple.of(UUID.fromString(userId)))
        .map(rows -> {
          String sealed = rows.size() == 0 ? null : rows.iterator().next().getString(0);
          return sealed == null ? null : secrets.open(SecondFactors.sealPurpose(userId), sealed);
        });
  }

  @Override
  public Future<Void> confirm(String userId, String secret, List<String> recoveryHashes) {
    // the proposal must still be this secret: a second enrolment begun in another tab replaces it
    return proposed(userId).compose(current -> current == null || !current.equals(secret)
        ? Future.failedFuture(ClientErrorException.conflict("the authenticator secret you confirm is no longer "
            + "the one offered (another enrolment began, or an hour passed); start again"))
        : db.pool().preparedQuery("UPDATE user_factors SET factor_id = $2, totp_secret_enc = proposed_secret_enc, "
                + "confirmed_at = now(), recovery_hashes = $3, proposed_secret_enc = NULL, proposed_at = NULL, "
                + "updated_at = now() WHERE user_id = $1")
            .execute(Tuple.of(UUID.fromString(userId), UUID.randomUUID(),
                (Object) recoveryHashes.toArray(String[]::new)))
            .mapEmpty());
  }

  @Override
  public Future<Void> replaceRecoveryCodes(String userId, List<String> recoveryHashes) {
    return db.pool().preparedQuery("UPDATE user_factors SET recovery_hashes = $2, updated_at = now() "
            + "WHERE user_id = $1 AND factor_id IS NOT NULL")
        .execute(Tuple.of(UUID.fromString(userId), (Object) recoveryHashes.toArray(String[]::new)))
        .compose(rows -> rows.rowCount() == 1 ? Future.<Void>succeededFuture()
            : Future.failedFuture(ClientErrorException.conflict("no authenticator app is enrolled")));
  }

  @Override
  public Future<Boolean> spendRecoveryCode(String userId, String hash) {
    // one statement: of two sign-ins with the same code, only one finds it in the array
    return db.pool().preparedQuery("UPDATE user_factors SET recovery_hashes = array_remove(recovery_hashes, $2), "
            + "updated_at = now() WHERE user_id = $1 AND $2 = ANY(recovery_hashes)")
        .execute(Tuple.of(UUID.fromString(userId), hash))
        .map(rows -> rows.rowCount() == 1);
  }

  @Override
  public Future<Boolean> remove(String userId) {
    return db.pool().preparedQuery("DELETE FROM user_factors WHERE user_id = $1 RETURNING factor_id")
        .execute(Tuple.of(UUID.fromString(userId)))
        .map(rows -> rows.size() == 1 && rows.iterator().next().getUUID(0) != null);
  }

  private String seal(String userId, String secret) {
    return secrets.seal(SecondFactors.sealPurpose(userId), secret);
  }
}
