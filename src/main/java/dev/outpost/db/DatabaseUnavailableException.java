package dev.outpost.db;

import dev.outpost.error.ServerErrorException;

/** The database could not be started, reached or migrated. */
public final class DatabaseUnavailableException extends ServerErrorException {

  private static final long serialVersionUID = 1L;

  public DatabaseUnavailableException(String detail, Throwable cause) {
    super(503, "database-unavailable", detail, cause);
  }
}
