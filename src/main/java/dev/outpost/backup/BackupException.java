package dev.outpost.backup;

/** A backup or restore that cannot be done, with one line for the operator that says why and what to do. */
public final class BackupException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public BackupException(String message) {
    super(message, null, false, false);
  }

  public BackupException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
