package dev.outpost.identity.directory.impl;

import dev.outpost.db.Database;
import dev.outpost.identity.directory.DirectoryAccount;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * The appliance's verifiers of directory users' last good passwords (table {@code directory_credentials}, never
 * sent to the hub): a salted argon2id hash with the identity and groups resolved at that sign-in.
 */
final class OfflineCredentials {

  /** One stored verifier. */
  record Verifier(DirectoryAccount account, String verifier, Instant verifiedAt) {
  }

  private final Database db;

  OfflineCredentials(Database db) {
    this.db = db;
  }

  Future<Void> remember(String directoryId, String login, DirectoryAccount account, String verifier, Instant at) {
    return db.pool().preparedQuery("""
            INSERT INTO directory_credentials(directory_id, login, user_id, username, display_name, user_dn, groups,
              verifier, verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (directory_id, login) DO UPDATE SET user_id = excluded.user_id, username = excluded.username,
              display_name = excluded.display_name, user_dn = excluded.user_dn, groups = excluded.groups,
              verifier = excluded.verifier, verified_at = excluded.verified_at""")
        .execute(Tuple.tuple().addUUID(UUID.fromString(directoryId)).addString(key(login))
            .addUUID(UUID.fromString(account.id())).addString(account.username()).addString(account.displayName())
            .addString(account.dn()).addArrayOfString(account.groups().toArray(String[]::new)).addString(verifier)
            .addOffsetDateTime(at.atOffset(ZoneOffset.UTC)))
        .mapEmpty();
  }

  /**
   * The verifiers for this login made after {@code since}: of one directory, or of any when
   * {@code directoryIds} is empty.
   */
  Future<List<Verifier>> find(List<String> directoryIds, String login, Instant since) {
    UUID[] ids = directoryIds.stream().map(UUID::fromString).toArray(UUID[]::new);
    return db.pool().preparedQuery("""
            SELECT c.directory_id, c.user_id, c.username, c.display_name, c.user_dn, c.groups, c.verifier,
              c.verified_at FROM directory_credentials c
            WHERE c.login = $1 AND c.verified_at > $2 AND (cardinality($3::uuid[]) = 0 OR c.directory_id = ANY($3))
            ORDER BY c.verified_at DESC""")
        .execute(Tuple.of(key(login), since.atOffset(ZoneOffset.UTC), ids))
        .map(rows -> {
          java.util.ArrayList<Verifier> found = new java.util.ArrayList<>();
          for (Row row : rows) {
            found.add(toVerifier(row));
          }
          return found;
        });
  }

  /** Forgets a login the directory no longer knows. */
  Future<Void> forget(String directoryId, String login) {
    return db.pool().preparedQuery("DELETE FROM directory_credentials WHERE directory_id = $1 AND login = $2")
        .execute(Tuple.of(UUID.fromString(directoryId), key(login))).mapEmpty();
  }

  /** Deletes verifiers older than the window, or of directories no longer configured here. */
  Future<Integer> prune(List<String> directoryIds, Duration window, Instant now) {
    UUID[] ids = directoryIds.stream().map(UUID::fromString).toArray(UUID[]::new);
    return db.pool().preparedQuery("DELETE FROM directory_credentials WHERE verified_at <= $1 "
            + "OR NOT (directory_id = ANY($2::uuid[]))")
        .execute(Tuple.of(now.minus(window).atOffset(ZoneOffset.UTC), (Object) ids))
        .map(rows -> rows.rowCount());
  }

  private static Verifier toVerifier(Row row) {
    String[] groups = row.getArrayOfStrings("groups");
    DirectoryAccount account = new DirectoryAccount(row.getUUID("user_id").toString(), row.getString("username"),
        row.getString("display_name"), row.getUUID("directory_id").toString(), row.getString("user_dn"),
        new HashSet<>(Arrays.asList(groups == null ? new String[0] : groups)), true);
    return new Verifier(account, row.getString("verifier"), row.getOffsetDateTime("verified_at").toInstant());
  }

  private static String key(String login) {
    return login.toLowerCase(Locale.ROOT);
  }
}
