package dev.outpost.db.replication;

import dev.outpost.db.Database;
import dev.outpost.db.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.ds.PGSimpleDataSource;

/** JDBC connections the replication module uses: the local superuser's, and the replication role's to a peer. */
final class Sql {

  private static final int CONNECT_TIMEOUT_SECONDS = 10;

  private Sql() {
  }

  /** The local superuser on {@code db}'s {@code postgres} database. Blocking. */
  static Connection local(EmbeddedPostgres db) throws SQLException {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {"127.0.0.1"});
    source.setPortNumbers(new int[] {db.port()});
    source.setDatabaseName("postgres");
    source.setUser(EmbeddedPostgres.superuser());
    source.setPassword(db.connection().get("password"));
    source.setConnectTimeout(CONNECT_TIMEOUT_SECONDS);
    source.setApplicationName("outpost-replication");
    return source.getConnection();
  }

  /**
   * The replication role on {@code primary}'s outpost database, over TLS with a certificate {@code trustedCa} issued;
   * with {@code replication}, a replication connection in simple query mode, which takes replication commands
   * ({@code IDENTIFY_SYSTEM}). Blocking.
   */
  static Connection peer(PrimaryEndpoint primary, ReplicationSettings settings, boolean replication)
      throws SQLException {
    ReplicationCredentials credentials = settings.credentials();
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setServerNames(new String[] {primary.host()});
    source.setPortNumbers(new int[] {primary.port()});
    source.setDatabaseName(Database.EMBEDDED_DATABASE);
    source.setUser(ReplicationCredentials.ROLE);
    source.setPassword(credentials.replicationPassword());
    source.setSslMode("verify-ca");
    source.setSslRootCert(settings.trustedCa().toString());
    source.setConnectTimeout(CONNECT_TIMEOUT_SECONDS);
    source.setApplicationName("outpost-replication");
    if (replication) {
      source.setReplication("database");
      source.setAssumeMinServerVersion("9.4");
      source.setPreferQueryMode(org.postgresql.jdbc.PreferQueryMode.SIMPLE);
    }
    return source.getConnection();
  }
}
