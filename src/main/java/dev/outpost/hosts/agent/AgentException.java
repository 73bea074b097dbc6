package dev.outpost.hosts.agent;

/** A failure the person running {@code outpost agent} can act on: one line, and the exit code to end with. */
public final class AgentException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private final int exitCode;

  public AgentException(int exitCode, String message) {
    super(message, null, false, false);
    this.exitCode = exitCode;
  }

  public static AgentException failed(String message) {
    return new AgentException(FAILED, message);
  }

  public static AgentException usage(String message) {
    return new AgentException(USAGE, message);
  }

  public int exitCode() {
    return exitCode;
  }
}
