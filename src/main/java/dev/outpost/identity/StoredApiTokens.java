package dev.outpost.identity;

import dev.outpost.crypto.SecureTokens;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * API tokens in the database of the node that serves the admin API ({@code api_tokens}); each request looks its token
 * up there (revocation is immediate) and its owner in the accounts sign-in uses (roles and access as they are now).
 */
public final class StoredApiTokens implements ApiTokens {

  private static final Logger LOG = LoggerFactory.getLogger(StoredApiTokens.class);

  private final Database db;
  private final AccountDirectory accounts;
  private final Clock clock;

  public StoredApiTokens(Database db, AccountDirectory accounts, Clock clock) {
    this.db = Objects.requireNonNull(db);
    this.accounts = Objects.requireNonNull(accounts);
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public Future<Principal> authenticate(String token) {
    return db.pool().preparedQuery("SELECT id, name, owner_id, owner_name, scope, created_at, expires_at, revoked_at "
            + "FROM api_tokens WHERE token_hash = $1")
        .execute(Tuple.of(SecureTokens.hash(token)))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(null) : valid(rows.iterator().next()));
  }

  private Future<Principal> valid(Row row) {
    String name = row.getString("name");
    if (row.getOffsetDateTime("revoked_at") != null) {
      return Future.failedFuture(ClientErrorException.unauthorized("the API token '" + name + "' was revoked"));
    }
    Instant expires = row.getOffsetDateTime("expires_at").toInstant();
    if (!expires.isAfter(clock.instant())) {
      return Future.failedFuture(ClientErrorException.unauthorized("the API token '" + name + "' expired at "
          + expires + "; create a new one"));
    }
    String ownerId = row.getUUID("owner_id").toString();
    String ownerName = row.getString("owner_name");
    TokenScope scope = TokenScope.parse(row.getString("scope")).orElseThrow();
    UUID id = row.getUUID("id");
    return accounts.find(ownerName).compose(owner -> {
      if (owner == null || !owner.id().equals(ownerId) || owner.disabled()) {
        return Future.failedFuture(ClientErrorException.unauthorized("the owner of the API token '" + name + "' ("
            + ownerName + ") no longer exists or is disabled"));
      }
      touch(id);
      return Future.succeededFuture(new Principal("api-token:" + id, owner.id(), owner.username(),
          owner.displayName(), scope.rolesOf(owner.roles()), null, row.getOffsetDateTime("created_at").toInstant(),
          expires, Principal.API_TOKEN, null, null, null, null, new Principal.TokenGrant(id.toString(), name, scope)));
    });
  }

  /** Notes the use, at most once a minute per token: a busy script must not write a row per request. */
  private void touch(UUID id) {
    db.pool().preparedQuery("UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL "
            + "OR last_used_at < now() - interval '1 minute')")
        .execute(Tuple.of(id))
        .onFailure(e -> LOG.debug("The last use of API token {} was not noted: {}", id, e.getMessage()));
  }
}
