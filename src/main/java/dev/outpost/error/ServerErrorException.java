package dev.outpost.error;

/** Outpost could not serve a valid request (5xx). Logged at error with an id the caller is shown. */
public class ServerErrorException extends OutpostException {

  private static final long serialVersionUID = 1L;

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
}
