package dev.outpost.client;

/** The gateway could not be reached at all; the ticket was not sent, so another gateway may still use it. */
final class GatewayUnreachable extends RuntimeException {

  private static final long serialVersionUID = 1L;

  GatewayUnreachable(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
