package dev.outpost.db;

import dev.outpost.error.OutpostException;
import dev.outpost.error.ServerErrorException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.Optional;

/** The database could not be started, reached or migrated. */
public final class DatabaseUnavailableException extends ServerErrorException {

  private static final long serialVersionUID = 1L;

  public DatabaseUnavailableException(String detail, Throwable cause) {
    super(503, "database-unavailable", detail, cause);
  }

  /**
   * The failure as a 503 when it says that PostgreSQL could not be reached (a connection lost or refused, or the
   * server shutting down or still starting: SQL states 57P01-57P03), so that a write refused during a database
   * outage says so instead of being an unexpected error; else empty. A failure
   * that is, or wraps, one of Outpost's own problems is that problem (e.g. the hub or another node could not be
   * reached), never a database outage.
   */
  public static Optional<DatabaseUnavailableException> of(Throwable failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof OutpostException) {
        return Optional.empty();
      }
      if (cause instanceof ClosedConnectionException || cause instanceof ConnectException
          || cause instanceof PgException pg && pg.getSqlState() != null && pg.getSqlState().startsWith("57P")) {
        return Optional.of(new DatabaseUnavailableException("the database cannot be reached (" + cause.getMessage()
            + "); changes kept in it are refused until it answers again", failure));
      }
    }
    return Optional.empty();
  }
}
