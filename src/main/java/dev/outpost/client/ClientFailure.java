package dev.outpost.client;

/** Something the user can act on; its message is printed as one line after {@code outpost client:}. */
class ClientFailure extends RuntimeException {

  private static final long serialVersionUID = 1L;

  ClientFailure(String message) {
    super(message, null, false, false);
  }

  ClientFailure(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
