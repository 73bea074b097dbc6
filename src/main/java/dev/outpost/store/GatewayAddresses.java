package dev.outpost.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.IntSupplier;

/**
 * Where a client presents its ticket: the WebSocket gateway on the HTTPS port and the raw TLS gateway port,
 * addressed by the host name the client used to reach this appliance.
 */
public final class GatewayAddresses {

  private final IntSupplier gatewayPort;

  /** @param gatewayPort the raw gateway's port, asked per request (known once its listener is bound) */
  public GatewayAddresses(IntSupplier gatewayPort) {
    this.gatewayPort = gatewayPort;
  }

  /** This appliance's base URL as the client addressed it, e.g. {@code https://host:8443}. */
  public String applianceUrl(RoutingContext ctx) {
    return "https://" + hostPart(ctx) + ":" + port(ctx);
  }

  public JsonArray forRequest(RoutingContext ctx) {
    String hostPart = hostPart(ctx);
    int port = port(ctx);
    return new JsonArray()
        .add(new JsonObject().put("type", "wss").put("url", "wss://" + hostPart + ":" + port + "/gateway"))
        .add(new JsonObject().put("type", "tls").put("address", hostPart + ":" + gatewayPort.getAsInt()));
  }

  private static String hostPart(RoutingContext ctx) {
    var authority = ctx.request().authority();
    String host = authority == null ? "localhost" : authority.host();
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }

  private static int port(RoutingContext ctx) {
    var authority = ctx.request().authority();
    return authority == null || authority.port() <= 0 ? 443 : authority.port();
  }
}
