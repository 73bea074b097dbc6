package dev.outpost.admin;

import dev.outpost.admin.impl.EnrollTokenRoutes;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlConnection;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Whose CA an agent must trust to enroll with a pool's token, and where it enrolls: on an appliance, the
 * site CA and the appliance itself; on a hub, the CA of the appliances of the pool's resource location.
 */
public interface EnrollTokenAuthority {

  /** The CA fingerprint (compact form) to embed in a token for this pool, or a failed future explaining why none. */
  Future<String> fingerprint(SqlConnection conn, UUID poolId);

  /** The {@code --appliance} value for the ready-to-paste agent command. */
  String applianceUrl(RoutingContext ctx);

  /**
   * The {@code --appliance} value for a token of this pool, looked up in the transaction that makes the token
   * (a hub names the appliances of the pool's location); by default {@link #applianceUrl(RoutingContext)}.
   */
  default Future<String> applianceUrl(SqlConnection conn, UUID poolId, RoutingContext ctx) {
    return Future.succeededFuture(applianceUrl(ctx));
  }

  /** An appliance: its own site CA, and the URL the admin used to reach it. */
  static EnrollTokenAuthority site(String caFingerprint) {
    Objects.requireNonNull(caFingerprint);
    return site(() -> caFingerprint);
  }

  /** An appliance whose site CA may change (a rotation): the one that issues when the token is made. */
  static EnrollTokenAuthority site(Supplier<String> caFingerprint) {
    Objects.requireNonNull(caFingerprint);
    return new EnrollTokenAuthority() {
      @Override
      public Future<String> fingerprint(SqlConnection conn, UUID poolId) {
        return Future.succeededFuture(caFingerprint.get());
      }

      @Override
      public String applianceUrl(RoutingContext ctx) {
        return EnrollTokenRoutes.applianceUrl(ctx);
      }
    };
  }
}
