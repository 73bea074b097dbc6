package dev.outpost.hub;

import dev.outpost.admin.EnrollTokenAuthority;
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
final class LocationTokenAuthority implements EnrollTokenAuthority {

  /** The appliances' HTTPS port unless they were configured otherwise, which the hub does not learn. */
  private static final int DEFAULT_PORT = 8443;

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

  /** Only reached if a caller skips {@link #applianceUrl(SqlConnection, UUID, RoutingContext)}. */
  @Override
  public String applianceUrl(RoutingContext ctx) {
    return "https://<APPLIANCE>:" + DEFAULT_PORT;
  }

  /**
   * The appliances of the pool's location by the host name each reported when it enrolled with this hub, newest
   * first, on the default HTTPS port: the agent links to the first it reaches and learns the others from it.
   */
  @Override
  public Future<String> applianceUrl(SqlConnection conn, UUID poolId, RoutingContext ctx) {
    return conn.preparedQuery("""
            SELECT a.name FROM appliances a JOIN locations l ON l.id = a.location_id JOIN pools p ON p.location = l.name
            WHERE p.id = $1 AND NOT a.revoked ORDER BY a.enrolled_at DESC LIMIT 5""")
        .execute(Tuple.of(poolId))
        .map(rows -> {
          java.util.List<String> urls = new java.util.ArrayList<>();
          rows.forEach(row -> urls.add("https://" + bracketed(row.getString(0)) + ":" + DEFAULT_PORT));
          return urls.isEmpty() ? applianceUrl(ctx) : String.join(",", urls);
        });
  }

  private static String bracketed(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
