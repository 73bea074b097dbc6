package dev.outpost.gateway;

import dev.outpost.error.OutpostException;
import java.util.Objects;

/** The gateway will not carry this connection; the detail is safe to send to the client. */
public final class GatewayRefusal extends OutpostException {

  private static final long serialVersionUID = 1L;

  private final GatewayStatus gatewayStatus;

  public GatewayRefusal(GatewayStatus status, String detail) {
    this(status, detail, null);
  }

  public GatewayRefusal(GatewayStatus status, String detail, Throwable cause) {
    super(status.status(), status.reason(), detail, cause);
    this.gatewayStatus = Objects.requireNonNull(status);
  }

  public GatewayStatus gatewayStatus() {
    return gatewayStatus;
  }
}
