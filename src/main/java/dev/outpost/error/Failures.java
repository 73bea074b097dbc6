package dev.outpost.error;

/** Small helpers for describing failures to people. */
public final class Failures {

  private Failures() {
  }

  /** The message of the innermost cause, or its type when it has none: what went wrong, without the wrapping. */
  public static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}
