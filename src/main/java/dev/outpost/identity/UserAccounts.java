package dev.outpost.identity;

import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.EnumSet;
import java.util.Set;

/** Reads the accounts that may sign in from the local database. */
public final class UserAccounts implements AccountDirectory {

  private final Database db;

  public UserAccounts(Database db) {
    this.db = db;
  }

  @Override
  public Future<Account> find(String username) {
    return db.pool()
        .preparedQuery("SELECT id, username, display_name, password_hash, roles, disabled FROM users "
            + "WHERE lower(username) = lower($1)")
        .execute(Tuple.of(username))
        .map(rows -> rows.size() == 0 ? null : toAccount(rows.iterator().next()));
  }

  /** Every account, for the appliances' local host cache. */
  public Future<java.util.List<Account>> all() {
    return db.pool()
        .query("SELECT id, username, display_name, password_hash, roles, disabled FROM users ORDER BY username")
        .execute()
        .map(rows -> {
          java.util.List<Account> all = new java.util.ArrayList<>();
          rows.forEach(row -> all.add(toAccount(row)));
          return all;
        });
  }

  private static Account toAccount(Row row) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String name : row.getArrayOfStrings("roles")) {
      Role.parse(name).ifPresent(roles::add);
    }
    return new Account(row.getUUID("id").toString(), row.getString("username"), row.getString("display_name"),
        row.getString("password_hash"), roles, row.getBoolean("disabled"));
  }
}
