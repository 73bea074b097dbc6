package dev.outpost.error;

import java.util.Set;

/**
 * Outpost could not serve a valid request (5xx). Logged at error with an id the caller is shown, unless it is one of
 * the {@linkplain #expected() expected} conditions of a working site (no host free, a node draining).
 */
public class ServerErrorException extends OutpostException {

  private static final long serialVersionUID = 1L;

  /** Problem type: no session host can take a session of the resource now (none registered, all draining...). */
  public static final String NO_HOST_AVAILABLE = "no-host-available";
  /** Problem type: this node is draining for a rolling upgrade and takes nothing new. */
  public static final String DRAINING = "draining";
  /** The types that a working site answers with; they travel with the problem, so any node knows them. */
  private static final Set<String> EXPECTED = Set.of(NO_HOST_AVAILABLE, DRAINING);

  public ServerErrorException(int status, String type, String detail, Throwable cause) {
    super(status, type, detail, cause);
    if (status < 500 || status > 599) {
      throw new IllegalArgumentException("server error status must be 5xx: " + status);
    }
  }

  public static ServerErrorException unavailable(String detail) {
    return new ServerErrorException(503, "unavailable", detail, null);
  }

  public static ServerErrorException unavailable(String detail, Throwable cause) {
    return new ServerErrorException(503, "unavailable", detail, cause);
  }

  public static ServerErrorException internal(String detail, Throwable cause) {
    return new ServerErrorException(500, "internal", detail, cause);
  }

  /** No session host can take a session of the resource now; the detail says why, for admins. */
  public static ServerErrorException noHostAvailable(String detail) {
    return new ServerErrorException(503, NO_HOST_AVAILABLE, detail, null);
  }

  /** This node is draining and refuses what is new; the caller goes to another node. */
  public static ServerErrorException draining(String detail) {
    return new ServerErrorException(503, DRAINING, detail, null);
  }

  @Override
  public boolean expected() {
    return EXPECTED.contains(type());
  }
}
