package dev.outpost.admin.cli;

/** A failure of {@code outpost admin} shown as one line on stderr, with the exit code to end with. */
public final class AdminCliException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int exitCode;

  public AdminCliException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
