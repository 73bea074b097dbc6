package dev.outpost.client;

/**
 * The store could not serve a request at all: it could not be reached (connection refused, timeout) or failed with
 * a 5xx. Launches fall back to the connection lease on this, and only on this.
 */
final class StoreUnavailable extends ClientFailure {

  private static final long serialVersionUID = 1L;

  private final boolean unreachable;

  StoreUnavailable(String message, boolean unreachable, Throwable cause) {
    super(message, cause);
    this.unreachable = unreachable;
  }

  /** Whether the store was not reached at all (rather than answering 5xx). */
  boolean unreachable() {
    return unreachable;
  }
}
