package dev.outpost.error;

/**
 * The words an end user is given when a site cannot serve them now. The problem keeps its status and type, and its
 * admin-level detail (which host, which pool, which port) stays with it as the cause, for the log and for admins:
 * users are told what they can do about it, not how the site is built.
 */
public final class UserRefusal {

  /** For anything that stops a launch but a full pool: no host registered, all draining, the service down. */
  public static final String NOT_AVAILABLE = "Not available right now. Try again later, or tell your administrator "
      + "if it stays so.";
  /** Every host that could take the session is full. */
  public static final String BUSY = "Busy: every computer that runs it is in use. Try again in a few minutes.";

  private UserRefusal() {
  }

  /**
   * The problem a user is shown for {@code e}: a refusal of a working site in user-level words, anything else as
   * it is.
   */
  public static Throwable of(Throwable e) {
    if (!(e instanceof OutpostException problem)) {
      return e;
    }
    return switch (problem.type()) {
      case ServerErrorException.NO_HOST_AVAILABLE -> new ServerErrorException(problem.status(), problem.type(),
          NOT_AVAILABLE, problem);
      case ClientErrorException.AT_CAPACITY -> new ClientErrorException(problem.status(), problem.type(), BUSY,
          problem);
      default -> e;
    };
  }
}
