package dev.outpost.admin;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * What else happens when an admin takes access away from a local account: it is disabled, gets a new password, loses
 * a role or is deleted. Other features plug in here (the account's connection leases are revoked, its sign-in
 * sessions end), so that the user's change of access is one change everywhere.
 */
@FunctionalInterface
public interface AccessWithdrawal {

  /** What makes a withdrawal effective outside the database, run once the change committed. */
  @FunctionalInterface
  interface Effect {
    Future<Void> apply();

    Effect NONE = () -> Future.succeededFuture();
  }

  /**
   * Keeps the withdrawal in the change's transaction (e.g. a lease revocation and its audit row) and returns what to
   * do once it committed, before the admin gets the answer (e.g. tell every node).
   *
   * @param username the account's user name after the change
   * @param reason why, in a few words users and the audit log see: {@code account disabled}, {@code password
   *     changed}, {@code role removed: admin}, {@code account deleted}
   */
  Future<Effect> withdraw(SqlConnection conn, Actor actor, String userId, String username, String reason);

  /** Nothing besides the account change itself. */
  AccessWithdrawal NONE = (conn, actor, userId, username, reason) -> Future.succeededFuture(Effect.NONE);

  /** A withdrawal with nothing to keep in the transaction, only an effect after the commit. */
  static AccessWithdrawal afterCommit(BiFunction<String, String, Future<Void>> effect) {
    Objects.requireNonNull(effect);
    return (conn, actor, userId, username, reason) -> Future.succeededFuture(() -> effect.apply(userId, username));
  }

  /** This withdrawal, then {@code next}: both keep their part in the transaction; their effects run in that order. */
  default AccessWithdrawal andThen(AccessWithdrawal next) {
    Objects.requireNonNull(next);
    return (conn, actor, userId, username, reason) -> withdraw(conn, actor, userId, username, reason)
        .compose(first -> next.withdraw(conn, actor, userId, username, reason)
            .map(second -> (Effect) () -> first.apply().compose(v -> second.apply())));
  }
}
