package dev.outpost.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.IntSupplier;

/**
 * Where a client presents its ticket: the WebSocket gateway on the HTTPS port and the raw TLS gateway port,
 * addressed by the host name the client used to reach this appliance, and, with a separate hub, the hub's
 * rendezvous gateway for clients outside the resource location.
 */
public final class GatewayAddresses {

  /** Address type of the hub's rendezvous gateway. */
  public static final String HUB_TYPE = "hub-wss";

  private final IntSupplier gatewayPort;
  private final JsonObject hub;

  /** @param gatewayPort the raw gateway's port, asked per request (known once its listener is bound) */
  public GatewayAddresses(IntSupplier gatewayPort) {
    this(gatewayPort, null);
  }

  private GatewayAddresses(IntSupplier gatewayPort, JsonObject hub) {
    this.gatewayPort = gatewayPort;
    this.hub = hub;
  }

  /**
   * The same addresses plus the hub's rendezvous gateway.
   *
   * @param hubUrl the hub as external clients reach it ({@code https://host:port})
   * @param location this appliance's resource location, which the hub needs to route the ticket
   * @param hubCaSha256 the hub's CA fingerprint, so that the client can trust the hub by pinning it
   */
  public GatewayAddresses withHub(URI hubUrl, String location, String hubCaSha256) {
    int port = hubUrl.getPort() > 0 ? hubUrl.getPort() : 443;
    String url = "wss://" + hubUrl.getHost() + ":" + port + "/gateway?location="
        + URLEncoder.encode(location, StandardCharsets.UTF_8);
    return new GatewayAddresses(gatewayPort, new JsonObject().put("type", HUB_TYPE).put("url", url)
        .put("caSha256", hubCaSha256));
  }

  /** This appliance's base URL as the client addressed it, e.g. {@code https://host:8443}. */
  public String applianceUrl(RoutingContext ctx) {
    return "https://" + hostPart(ctx) + ":" + port(ctx);
  }

  public JsonArray forRequest(RoutingContext ctx) {
    String hostPart = hostPart(ctx);
    int port = port(ctx);
    JsonArray addresses = new JsonArray()
        .add(new JsonObject().put("type", "wss").put("url", "wss://" + hostPart + ":" + port + "/gateway"))
        .add(new JsonObject().put("type", "tls").put("address", hostPart + ":" + gatewayPort.getAsInt()));
    if (hub != null) {
      addresses.add(hub.copy());
    }
    return addresses;
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
