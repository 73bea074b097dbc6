package dev.outpost.identity;

import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the accounts that may sign in from the local database, with their second factor and its policy. */
public final class UserAccounts implements AccountDirectory {

  private static final Logger LOG = LoggerFactory.getLogger(UserAccounts.class);
  private static final String SELECT = "SELECT u.id, u.username, u.display_name, u.password_hash, u.roles, "
      + "u.disabled, f.factor_id, f.totp_secret_enc, f.recovery_hashes, EXISTS (SELECT 1 FROM group_members m "
      + "JOIN groups g ON g.id = m.group_id WHERE m.user_id = u.id AND g.mfa_required) AS factor_required "
      + "FROM users u LEFT JOIN user_factors f ON f.user_id = u.id";

  private final Database db;
  private final SecretBox secrets;

  /** @param secrets the key for stored secrets, which opens the authenticator secrets */
  public UserAccounts(Database db, SecretBox secrets) {
    this.db = Objects.requireNonNull(db);
    this.secrets = Objects.requireNonNull(secrets);
  }

  @Override
  public Future<Account> find(String username) {
    return db.pool().preparedQuery(SELECT + " WHERE lower(u.username) = lower($1)")
        .execute(Tuple.of(username))
        .map(rows -> rows.size() == 0 ? null : toAccount(rows.iterator().next()));
  }

  /** Every account, for the appliances' local host cache. */
  public Future<List<Account>> all() {
    return db.pool().query(SELECT + " ORDER BY u.username").execute()
        .map(rows -> {
          List<Account> all = new ArrayList<>();
          rows.forEach(row -> all.add(toAccount(row)));
          return all;
        });
  }

  private Account toAccount(Row row) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String name : row.getArrayOfStrings("roles")) {
      Role.parse(name).ifPresent(roles::add);
    }
    String id = row.getUUID("id").toString();
    String username = row.getString("username");
    return new Account(id, username, row.getString("display_name"), row.getString("password_hash"), roles,
        row.getBoolean("disabled"), secondFactor(row, id, username), row.getBoolean("factor_required"));
  }

  private SecondFactor secondFactor(Row row, String id, String username) {
    if (row.getUUID("factor_id") == null) {
      return SecondFactor.NONE;
    }
    String secret = null;
    try {
      secret = secrets.open(SecondFactors.sealPurpose(id), row.getString("totp_secret_enc"));
    } catch (IllegalArgumentException e) {
      // enrolled all the same: no code is accepted rather than none asked for
      LOG.warn("The authenticator secret of {} cannot be opened ({}); its codes are refused until an admin resets "
          + "the account's second factor", username, e.getMessage());
    }
    String[] recovery = row.getArrayOfStrings("recovery_hashes");
    return new SecondFactor(row.getUUID("factor_id").toString(), secret, recovery == null ? List.of()
        : List.of(recovery));
  }
}
