package dev.outpost.db;

/**
 * The database: {@code db.*}. The loader checks the URL's form; the constructor refuses a pool no query could use.
 *
 * @param url an external PostgreSQL ({@code postgresql://…}), or {@code null} for the embedded one under the data
 *     dir
 * @param poolSize connections in the pool
 */
public record DbConfig(String url, int poolSize) {

  public static final int DEFAULT_POOL_SIZE = 8;
  /** The defaults, as a configuration without these keys gets them: the embedded PostgreSQL. */
  public static final DbConfig DEFAULTS = new DbConfig(null, DEFAULT_POOL_SIZE);

  public DbConfig {
    if (poolSize < 1) {
      throw new IllegalArgumentException("db.pool-size must be at least 1, not " + poolSize);
    }
  }

  public boolean embedded() {
    return url == null;
  }
}
