package dev.outpost.client;

import dev.outpost.crypto.PinnedCaTrust;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.net.ssl.SSLContext;

/**
 * One stream to a launched app or desktop, through one of the gateways a launch offers (see
 * docs/protocols/gateway.md): the appliance's raw TLS port, its WebSocket, or the hub's rendezvous WebSocket for
 * clients outside the resource location.
 */
interface GatewayStream extends AutoCloseable {

  /** Which gateway to use: {@code auto} tries them in order while they cannot be reached. */
  enum Choice {
    AUTO, TLS, WSS, HUB;

    static Choice parse(String text) {
      try {
        return valueOf(text.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ClientFailure("--gateway must be auto, tls, wss or hub, not '" + text + "'");
      }
    }
  }

  String sessionId();

  InputStream in() throws IOException;

  OutputStream out() throws IOException;

  @Override
  void close();

  /**
   * Opens a stream for a launch response ({@code ticket} and {@code gateways}). {@code siteTls} trusts the site;
   * the hub is trusted by the CA fingerprint the launch gives for it. With {@link Choice#AUTO} the raw TLS port is
   * tried first, then the appliance's WebSocket, then the hub: the next one only while the previous could not be
   * reached (a gateway that was reached has used the ticket up).
   */
  static GatewayStream open(SSLContext siteTls, JsonObject launch, Choice choice) {
    String ticket = launch.getString("ticket");
    List<String> unreachable = new ArrayList<>();
    for (JsonObject gateway : candidates(launch.getJsonArray("gateways", new JsonArray()), choice)) {
      try {
        return switch (gateway.getString("type")) {
          case "tls" -> TlsGatewayStream.open(siteTls, gateway.getString("address"), ticket);
          case "wss" -> WebSocketGatewayStream.open(siteTls, gateway.getString("url"), ticket);
          default -> WebSocketGatewayStream.open(hubTls(gateway), gateway.getString("url"), ticket);
        };
      } catch (GatewayUnreachable e) {
        unreachable.add(e.getMessage());
      }
    }
    if (unreachable.isEmpty()) {
      throw new ClientFailure("the launch offers no " + (choice == Choice.AUTO ? "" : choice.name().toLowerCase(
          Locale.ROOT) + " ") + "gateway");
    }
    throw new ClientFailure(String.join("; ", unreachable));
  }

  private static List<JsonObject> candidates(JsonArray gateways, Choice choice) {
    List<String> order = switch (choice) {
      case AUTO -> List.of("tls", "wss", "hub-wss");
      case TLS -> List.of("tls");
      case WSS -> List.of("wss");
      case HUB -> List.of("hub-wss");
    };
    List<JsonObject> found = new ArrayList<>();
    for (String type : order) {
      for (Object o : gateways) {
        if (o instanceof JsonObject gateway && type.equals(gateway.getString("type"))
            && (gateway.getString("address") != null || gateway.getString("url") != null)) {
          found.add(gateway);
        }
      }
    }
    return found;
  }

  private static SSLContext hubTls(JsonObject gateway) {
    String fingerprint = gateway.getString("caSha256");
    if (fingerprint == null) {
      throw new ClientFailure("the launch gives no CA fingerprint for the hub's gateway");
    }
    return PinnedCaTrust.of(fingerprint).sslContext();
  }
}
