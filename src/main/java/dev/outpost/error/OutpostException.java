package dev.outpost.error;

import java.util.Objects;

/**
 * Root of Outpost's exception tree. Every failure that reaches a user carries an HTTP-style status and a
 * problem type; one failure handler per transport turns it into {@code application/problem+json} or a
 * WebSocket close code.
 */
public abstract class OutpostException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;

  protected OutpostException(int status, String type, String detail, Throwable cause) {
    super(Objects.requireNonNull(detail, "detail"), cause, false, cause != null);
    this.status = status;
    this.type = Objects.requireNonNull(type, "type");
  }

  /** The HTTP status this failure maps to. */
  public int status() {
    return status;
  }

  /** A short, stable problem type, e.g. {@code validation}; rendered as {@code urn:outpost:problem:<type>}. */
  public String type() {
    return type;
  }

  /** The human-readable explanation, safe to show to the caller. */
  public String detail() {
    return getMessage();
  }

  /**
   * The exception a peer's problem stands for (a tunnel answer, an event bus reply), so that the user sees the
   * answer of the node that did the work: 4xx a client error, 5xx a server error, any other status 502 (the peer
   * answered something that is no status).
   */
  public static OutpostException fromProblem(int status, String type, String detail) {
    return status >= 400 && status < 500 ? new ClientErrorException(status, type, detail)
        : new ServerErrorException(status >= 500 && status < 600 ? status : 502, type, detail, null);
  }

  /**
   * Whether a working site gives this answer (a wrong password, a full pool, no host free, a node draining): it is
   * logged at info or below, without an exception class or stack trace. Client errors always are.
   */
  public boolean expected() {
    return status < 500;
  }

  /**
   * What the admin reading the log needs: the detail, followed by the admin-level one of the problem it was made
   * from when the caller was shown a simpler one ({@link UserRefusal}).
   */
  public String detailForAdmins() {
    return getCause() instanceof OutpostException admin ? detail() + " (" + admin.detailForAdmins() + ")" : detail();
  }
}
