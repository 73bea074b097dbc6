package dev.outpost.identity;

import dev.outpost.crypto.PasswordHasher;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the first administrator on a new site. The password comes from a file or is generated and
 * returned so that the caller can show it once; it is never logged.
 */
public final class AccountBootstrap {

  private static final Logger LOG = LoggerFactory.getLogger(AccountBootstrap.class);
  public static final String ADMIN = "admin";

  /** What happened: {@code password} is set only when a generated password must be shown. */
  public record Outcome(boolean created, String username, String password) {
  }

  private final Vertx vertx;
  private final Database db;
  private final PasswordHasher hasher;

  public AccountBootstrap(Vertx vertx, Database db, PasswordHasher hasher) {
    this.vertx = vertx;
    this.db = db;
    this.hasher = hasher;
  }

  /** Creates {@code admin} unless an account of that name exists. */
  public Future<Outcome> ensureAdmin(Path passwordFile) {
    return exists(ADMIN).compose(exists -> {
      if (exists) {
        return Future.succeededFuture(new Outcome(false, ADMIN, null));
      }
      return vertx.executeBlocking(() -> {
        String password = passwordFile == null ? SecureTokens.password(20) : readPassword(passwordFile);
        return new String[] {password, hasher.hash(password)};
      }, false).compose(pw -> insert(ADMIN, "Administrator", pw[1], new String[] {Role.ADMIN.wireName()})
          .map(inserted -> new Outcome(inserted, ADMIN, inserted && passwordFile == null ? pw[0] : null)));
    });
  }

  /** Creates a plain user with a generated password unless the name exists; returns the password if created. */
  public Future<Outcome> ensureUser(String username, String displayName) {
    return exists(username).compose(exists -> {
      if (exists) {
        return Future.succeededFuture(new Outcome(false, username, null));
      }
      return vertx.executeBlocking(() -> {
        String password = SecureTokens.password(16);
        return new String[] {password, hasher.hash(password)};
      }, false).compose(pw -> insert(username, displayName, pw[1], new String[] {Role.USER.wireName()})
          .map(inserted -> new Outcome(inserted, username, inserted ? pw[0] : null)));
    });
  }

  private Future<Boolean> exists(String username) {
    return db.pool().preparedQuery("SELECT 1 FROM users WHERE lower(username) = lower($1)")
        .execute(Tuple.of(username)).map(rows -> rows.size() > 0);
  }

  private Future<Boolean> insert(String username, String displayName, String hash, String[] roles) {
    return db.pool().preparedQuery("INSERT INTO users(id, username, display_name, password_hash, roles) "
            + "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
        .execute(Tuple.of(UUID.randomUUID(), username, displayName, hash, roles))
        .map(rows -> rows.rowCount() == 1)
        .onSuccess(created -> {
          if (created) {
            LOG.info("Created account '{}'", username);
          }
        });
  }

  private static String readPassword(Path file) throws java.io.IOException {
    String password = Files.readString(file, StandardCharsets.UTF_8).strip();
    if (password.length() < 12) {
      throw new IllegalArgumentException("admin.password-file " + file
          + " must hold a password of at least 12 characters");
    }
    return password;
  }
}
