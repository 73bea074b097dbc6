package dev.outpost.error;

import java.time.Duration;
import java.util.Optional;

/** A request that cannot be served as sent (4xx). Logged at debug: the caller can fix it. */
public class ClientErrorException extends OutpostException {

  private static final long serialVersionUID = 1L;

  /** Problem type: every host that could take a session of the resource is full. */
  public static final String AT_CAPACITY = "at-capacity";

  private final transient Duration retryAfter;

  public ClientErrorException(int status, String type, String detail) {
    this(status, type, detail, (Duration) null);
  }

  /**
   * A refusal shown to the caller in simpler words than {@code cause}, which the log keeps for admins
   * ({@link UserRefusal}).
   */
  public ClientErrorException(int status, String type, String detail, OutpostException cause) {
    super(status, type, detail, cause);
    if (status < 400 || status > 499) {
      throw new IllegalArgumentException("client error status must be 4xx: " + status);
    }
    this.retryAfter = null;
  }

  public ClientErrorException(int status, String type, String detail, Duration retryAfter) {
    super(status, type, detail, null);
    if (status < 400 || status > 499) {
      throw new IllegalArgumentException("client error status must be 4xx: " + status);
    }
    this.retryAfter = retryAfter;
  }

  /**
   * Members the problem document carries besides type, title, status and detail (RFC 9457 extension members), or
   * {@code null} for none.
   */
  public io.vertx.core.json.JsonObject members() {
    return null;
  }

  /** How long the caller should wait before trying again, for 429 responses. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }

  public static ClientErrorException badRequest(String detail) {
    return new ClientErrorException(400, "bad-request", detail);
  }

  public static ClientErrorException validation(String detail) {
    return new ClientErrorException(400, "validation", detail);
  }

  public static ClientErrorException unauthorized(String detail) {
    return new ClientErrorException(401, "unauthorized", detail);
  }

  public static ClientErrorException forbidden(String detail) {
    return new ClientErrorException(403, "forbidden", detail);
  }

  public static ClientErrorException notFound(String detail) {
    return new ClientErrorException(404, "not-found", detail);
  }

  public static ClientErrorException conflict(String detail) {
    return new ClientErrorException(409, "conflict", detail);
  }

  /** Every host that could take the session is full. */
  public static ClientErrorException atCapacity(String detail) {
    return new ClientErrorException(409, AT_CAPACITY, detail);
  }

  public static ClientErrorException tooManyRequests(String detail, Duration retryAfter) {
    return new ClientErrorException(429, "rate-limited", detail, retryAfter);
  }
}
