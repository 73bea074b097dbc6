package dev.outpost.gateway;

/**
 * Why the gateway refused or closed a connection: one status per cause, mapped to the raw protocol's
 * {@code ERR <status>} line, to a WebSocket close code ({@code 4000 + status}) and to the {@code reason} label of
 * the refusal metric.
 */
public enum GatewayStatus {
  /** The first line or frame is not a gateway handshake. */
  BAD_REQUEST(400, "bad-request"),
  /** No such ticket: never issued, already used, or evicted after expiry. */
  UNKNOWN_TICKET(401, "unknown-ticket"),
  /** The ticket was found but is past its expiry. */
  EXPIRED_TICKET(401, "expired-ticket"),
  /** The session host refused the login the browser terminal offered (wrong password, key or certificate). */
  LOGIN_REFUSED(401, "login-refused"),
  /** A browser terminal asked to resume a connection this node no longer keeps. */
  UNKNOWN_TERMINAL(404, "unknown-terminal"),
  /** The bearer token presented with the ticket belongs to another user (or is not valid). */
  WRONG_USER(403, "wrong-user"),
  /** The client did not present a ticket within the handshake timeout. */
  HANDSHAKE_TIMEOUT(408, "handshake-timeout"),
  /** The session host did not accept the TCP connection. */
  HOST_UNREACHABLE(502, "host-unreachable"),
  /** Too many connections are in their handshake on this node, or the ticket store cannot be reached. */
  BUSY(503, "busy");

  private final int status;
  private final String reason;

  GatewayStatus(int status, String reason) {
    this.status = status;
    this.reason = reason;
  }

  /** The HTTP-style status sent in {@code ERR <status> <detail>}. */
  public int status() {
    return status;
  }

  /** The WebSocket close code: private-use range 4000-4999, {@code 4000 + status}. */
  public short closeCode() {
    return (short) (4000 + status);
  }

  /** The metric label and problem type. */
  public String reason() {
    return reason;
  }

  /** The status whose {@link #reason()} this is (e.g. a refusal relayed by another node), or {@code null}. */
  public static GatewayStatus ofReason(String reason) {
    for (GatewayStatus status : values()) {
      if (status.reason.equals(reason)) {
        return status;
      }
    }
    return null;
  }
}
