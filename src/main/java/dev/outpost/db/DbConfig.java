package dev.outpost.db;

/**
 * The database: {@code db.*}. The loader checks the URL's form; the constructor refuses a pool no query could use.
 *
 * @param url an external PostgreSQL ({@code postgresql://…}), or {@code null} for the embedded one under the data
 *     dir
 * @param poolSize connections in the pool
 * @param peerPort where the embedded database serves the site's other nodes ({@code db.peer-port}), never 0
 */
public record DbConfig(String url, int poolSize, int peerPort) {

  public static final int DEFAULT_POOL_SIZE = 8;
  /** {@code db.peer-port} when {@code cluster.port} has its default. */
  public static final int DEFAULT_PEER_PORT = 5703;
  /** The defaults, as a configuration without these keys gets them: the embedded PostgreSQL. */
  public static final DbConfig DEFAULTS = new DbConfig(null, DEFAULT_POOL_SIZE);

  public DbConfig {
    if (poolSize < 1) {
      throw new IllegalArgumentException("db.pool-size must be at least 1, not " + poolSize);
    }
    if (peerPort < 1 || peerPort > 65535) {
      throw new IllegalArgumentException("db.peer-port must be from 1 to 65535, not " + peerPort);
    }
  }

  /** With the default peer port. */
  public DbConfig(String url, int poolSize) {
    this(url, poolSize, DEFAULT_PEER_PORT);
  }

  public boolean embedded() {
    return url == null;
  }
}
