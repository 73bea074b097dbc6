package dev.outpost.db.replication;

import java.io.IOException;

/** A base backup could not be taken, carried or restored; its message says which and why. */
public final class BaseBackupException extends IOException {

  private static final long serialVersionUID = 1L;

  public BaseBackupException(String message) {
    super(message);
  }

  public BaseBackupException(String message, Throwable cause) {
    super(message, cause);
  }
}
