package dev.outpost.identity;

import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.db.StoredSecretsKey;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sign-in sessions kept in the site's database ({@code sign_in_sessions}, {@code sign_in_revocations}): the key is
 * the session store's (a token hash, never a token), the principal is sealed with the key for stored secrets. Written
 * as {@link Change}s, which have a JSON form so that they can wait in a spool while the database is down.
 */
public final class StoredSessions {

  private static final Logger LOG = LoggerFactory.getLogger(StoredSessions.class);
  /** How long a revocation is kept: longer than any session lives. */
  static final String KEEP_REVOCATIONS = "31 days";
  private static final String PUT = """
      INSERT INTO sign_in_sessions(id, user_id, principal_enc, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, principal_enc = excluded.principal_enc,
        created_at = excluded.created_at, expires_at = excluded.expires_at""";
  private static final String REVOKE = """
      INSERT INTO sign_in_revocations(user_id, revoked_before) VALUES ($1, $2)
      ON CONFLICT (user_id) DO UPDATE
        SET revoked_before = greatest(sign_in_revocations.revoked_before, excluded.revoked_before)""";
  private static final String FIND = """
      SELECT s.principal_enc FROM sign_in_sessions s WHERE s.id = $1 AND s.expires_at > now()
        AND NOT EXISTS (SELECT 1 FROM sign_in_revocations r WHERE r.user_id = s.user_id
          AND r.revoked_before >= s.created_at)""";

  /** One write to the table, in the order it was made. */
  public sealed interface Change {

    /** The JSON form a spool keeps. */
    JsonObject toJson();

    /** Reads what {@link #toJson} wrote; {@link IllegalArgumentException} for anything else. */
    static Change fromJson(JsonObject json) {
      String kind = json.getString("kind", "");
      return switch (kind) {
        case "put" -> new Put(json.getString("id"), json.getString("userId"), json.getString("sealed"),
            Instant.parse(json.getString("createdAt")), Instant.parse(json.getString("expiresAt")));
        case "remove" -> new Remove(json.getString("id"));
        case "revoke" -> new Revoke(json.getString("userId"), Instant.parse(json.getString("before")));
        default -> throw new IllegalArgumentException("not a sign-in session change: '" + kind + "'");
      };
    }
  }

  /** A session opened (its principal already sealed). */
  public record Put(String id, String userId, String sealed, Instant createdAt, Instant expiresAt) implements Change {
    public Put {
      Objects.requireNonNull(id);
      Objects.requireNonNull(userId);
      Objects.requireNonNull(sealed);
      Objects.requireNonNull(createdAt);
      Objects.requireNonNull(expiresAt);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("kind", "put").put("id", id).put("userId", userId).put("sealed", sealed)
          .put("createdAt", createdAt.toString()).put("expiresAt", expiresAt.toString());
    }
  }

  /** A session signed out or replaced. */
  public record Remove(String id) implements Change {
    public Remove {
      Objects.requireNonNull(id);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("kind", "remove").put("id", id);
    }
  }

  /** Every session of the user begun at or before {@code before} ends. */
  public record Revoke(String userId, Instant before) implements Change {
    public Revoke {
      Objects.requireNonNull(userId);
      Objects.requireNonNull(before);
    }

    @Override
    public JsonObject toJson() {
      return new JsonObject().put("kind", "revoke").put("userId", userId).put("before", before.toString());
    }
  }

  private final Database db;
  private final SecretBox secrets;

  public StoredSessions(Database db, SecretBox secrets) {
    this.db = Objects.requireNonNull(db);
    this.secrets = Objects.requireNonNull(secrets);
  }

  /** One sealed principal of the table, to check a key for stored secrets against (see {@link StoredSecretsKey}). */
  public static Future<Optional<StoredSecretsKey.Sealed>> sealedSample(SqlConnection conn) {
    return conn.query("SELECT id, principal_enc FROM sign_in_sessions LIMIT 1").execute()
        .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(new StoredSecretsKey.Sealed(
            purpose(rows.iterator().next().getString(0)), rows.iterator().next().getString(1))));
  }

  /** The change that stores {@code principal}, sealed. */
  public Put put(Principal principal) {
    return new Put(principal.sessionId(), principal.userId(),
        secrets.seal(purpose(principal.sessionId()), principal.toJson().encode()), principal.createdAt(),
        principal.expiresAt());
  }

  /** Writes {@code changes} in one transaction, in their order. */
  public Future<Void> apply(List<Change> changes) {
    if (changes.isEmpty()) {
      return Future.succeededFuture();
    }
    return db.transaction(conn -> {
      Future<Void> chain = Future.succeededFuture();
      for (Change change : changes) {
        chain = chain.compose(v -> apply(conn, change));
      }
      return chain;
    });
  }

  private static Future<Void> apply(SqlConnection conn, Change change) {
    if (change instanceof Put put) {
      return conn.preparedQuery(PUT).execute(Tuple.of(put.id(), put.userId(), put.sealed(), at(put.createdAt()),
          at(put.expiresAt()))).mapEmpty();
    }
    if (change instanceof Remove remove) {
      return conn.preparedQuery("DELETE FROM sign_in_sessions WHERE id = $1").execute(Tuple.of(remove.id()))
          .mapEmpty();
    }
    Revoke revoke = (Revoke) change;
    return conn.preparedQuery(REVOKE).execute(Tuple.of(revoke.userId(), at(revoke.before())))
        .compose(v -> conn.preparedQuery("DELETE FROM sign_in_sessions WHERE user_id = $1 AND created_at <= $2")
            .execute(Tuple.of(revoke.userId(), at(revoke.before()))))
        .mapEmpty();
  }

  /**
   * The stored session with this key that has not expired nor been revoked, or {@code null}; a row that does not open
   * (written under another key for stored secrets, or by another major version:
   * {@code SchemaVersion.UnreadableException} is an {@link IllegalArgumentException}) reads as absent.
   */
  public Future<Principal> find(String id) {
    return db.pool().preparedQuery(FIND).execute(Tuple.of(id)).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      try {
        return Principal.fromJson(new JsonObject(secrets.open(purpose(id), rows.iterator().next().getString(0))));
      } catch (IllegalArgumentException | io.vertx.core.json.DecodeException e) {
        LOG.warn("A stored sign-in session cannot be read ({}); its user signs in again", e.getMessage());
        return null;
      }
    });
  }

  /** Deletes expired sessions and old revocations; the future holds how many sessions went. */
  public Future<Integer> purge() {
    return db.pool().query("DELETE FROM sign_in_sessions WHERE expires_at <= now()").execute()
        .compose(sessions -> db.pool().query("DELETE FROM sign_in_revocations WHERE revoked_before < now() - "
                + "interval '" + KEEP_REVOCATIONS + "'").execute()
            .map(sessions.rowCount()));
  }

  static String purpose(String id) {
    return "sign-in-session/" + id;
  }

  private static java.time.OffsetDateTime at(Instant instant) {
    return instant.atOffset(ZoneOffset.UTC);
  }
}
