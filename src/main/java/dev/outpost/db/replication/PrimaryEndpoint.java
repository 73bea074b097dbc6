package dev.outpost.db.replication;

import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the site's primary database is reached from the other nodes: its node's cluster address and the port it
 * listens on for peers.
 *
 * @param host a host name or address
 * @param port 1-65535
 */
public record PrimaryEndpoint(String host, int port) {

  public PrimaryEndpoint {
    Objects.requireNonNull(host, "host");
    if (host.isBlank() || host.contains(" ") || host.contains("'")) {
      throw new IllegalArgumentException("not a host name or address: '" + host + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  /**
   * The libpq connection string a standby named {@code standbyName} streams with: TLS with a certificate issued by
   * {@code trustedCa}, the replication role's password in it. It holds a secret: never log it.
   */
  String conninfo(ReplicationCredentials credentials, String standbyName, Path trustedCa) {
    return "host=" + host + " port=" + port + " user=" + ReplicationCredentials.ROLE + " password="
        + credentials.replicationPassword() + " application_name=" + standbyName + " sslmode=verify-ca sslrootcert="
        + trustedCa + " connect_timeout=5 keepalives_idle=5 keepalives_interval=2 keepalives_count=3";
  }

  /**
   * How another node's pool uses this primary's {@code database}: as the replication role (which reads and writes
   * all data), over TLS with a certificate issued by the site's authority ({@code verify-ca}). Holds a secret.
   */
  public PgConnectOptions poolOptions(ReplicationSettings settings, String database) {
    return new PgConnectOptions()
        .setHost(host)
        .setPort(port)
        .setUser(ReplicationCredentials.ROLE)
        .setPassword(settings.credentials().replicationPassword())
        .setDatabase(database)
        .setSslMode(SslMode.VERIFY_CA)
        .setSslOptions(new ClientSSLOptions().setTrustOptions(new PemTrustOptions()
            .addCertPath(settings.trustedCa().toString())));
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}
