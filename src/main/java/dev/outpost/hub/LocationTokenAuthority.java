package dev.outpost.hub;

import dev.outpost.admin.impl.EnrollTokenRoutes;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * Enrollment tokens made on the hub: agents enroll through an appliance of the pool's resource location, so
 * the token names the CA those appliances reported when they enrolled with the hub.
 */
final class LocationTokenAuthority implements EnrollTokenRoutes.Authority {

  @Override
  public Future<String> fingerprint(SqlConnection conn, UUID poolId) {
    return conn.preparedQuery("""
            SELECT p.location, (SELECT a.site_ca_sha256 FROM appliances a JOIN locations l ON l.id = a.location_id
                                WHERE l.name = p.location AND NOT a.revoked ORDER BY a.enrolled_at DESC LIMIT 1)
            FROM pools p WHERE p.id = $1""")
        .execute(Tuple.of(poolId))
        .compose(rows -> {
          var row = rows.iterator().next();
          String fingerprint = row.getString(1);
          return fingerprint != null ? Future.succeededFuture(fingerprint)
              : Future.failedFuture(ClientErrorException.conflict("no appliance of location '" + row.getString(0)
                  + "' has enrolled with this hub yet; agents enroll through one, so enroll an appliance first"));
        });
  }

  @Override
  public String applianceUrl(RoutingContext ctx) {
    return "https://<APPLIANCE>:8443";
  }
}
