package dev.outpost.appliance;

/** A start-up failure the user can fix; its message is printed as one line, without a stack trace. */
public final class StartupException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public StartupException(String message) {
    super(message);
  }

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
