package dev.outpost.lease;

import dev.outpost.admin.AccessWithdrawal;
import dev.outpost.admin.Actor;
import dev.outpost.admin.Auditor;
import dev.outpost.lease.impl.RevocationStore;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import java.time.Clock;
import java.util.Objects;

/**
 * When an admin takes access away from an account (disabled, new password, a role removed, deleted), every
 * connection lease the user holds is revoked: a user revocation, named by the admin and with the change as its
 * reason, stored with its audit row in the change's transaction and published once it committed. Where the hub
 * role runs (a separate hub, or an all-in-one appliance), whose database is the site's.
 */
public final class AccountLeaseRevocation implements AccessWithdrawal {

  private static final String TYPE = "lease-revocation";

  private final LeaseAdminRoutes.Publisher publisher;
  private final Clock clock;
  private final RevocationStore store = new RevocationStore();
  private final Auditor audit = Auditor.log();

  /**
   * @param publisher makes a revocation effective on the appliances now: this cluster's nodes (all-in-one), or the
   *     appliances connected to the hub; the others learn it at their next trust sync
   */
  public AccountLeaseRevocation(LeaseAdminRoutes.Publisher publisher, Clock clock) {
    this.publisher = Objects.requireNonNull(publisher);
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public Future<Effect> withdraw(SqlConnection conn, Actor actor, String userId, String username, String reason) {
    Revocation revocation = Revocation.of(Revocation.Kind.USER, userId, null, clock.instant(), reason,
        actor.username());
    // stored as forwarded: this database is the hub's, there is nowhere further to hand it
    return store.insert(conn, revocation, true)
        .compose(v -> audit.record(conn, actor, TYPE + ".create", TYPE, revocation.id(), username,
            revocation.toJson()))
        .map(v -> () -> publisher.publish(revocation));
  }
}
