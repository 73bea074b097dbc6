package dev.outpost.gateway;

import dev.outpost.appliance.config.OutpostConfig.GatewayConfig;
import dev.outpost.broker.BrokerClient;
import dev.outpost.gateway.impl.GatewayMetrics;
import dev.outpost.gateway.impl.HandshakeSlots;
import dev.outpost.gateway.impl.RawGatewayListener;
import dev.outpost.gateway.impl.SessionRelay;
import dev.outpost.gateway.impl.SessionReports;
import dev.outpost.gateway.impl.WebSocketGateway;
import dev.outpost.identity.LoginService;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServerOptions;
import io.vertx.ext.web.Router;
import java.util.Objects;

/**
 * The ticketed session gateway of one node: clients present a one-time launch ticket on
 * {@code wss://node/gateway} or on the raw TLS port ({@code gateway.port}), and the node splices their stream to
 * the session host named in the ticket. See {@code docs/protocols/gateway.md}.
 */
public final class Gateway {

  /** Path of the WebSocket entry on the HTTPS listener. */
  public static final String WEBSOCKET_PATH = "/gateway";

  private final SessionRelay relay;
  private final WebSocketGateway webSocket;

  private Gateway(SessionRelay relay, WebSocketGateway webSocket) {
    this.relay = relay;
    this.webSocket = webSocket;
  }

  public static Gateway create(Vertx vertx, GatewayConfig config, TicketStore tickets, BrokerClient broker,
      LoginService logins, MeterRegistry registry) {
    Objects.requireNonNull(config);
    HandshakeSlots slots = new HandshakeSlots(config.maxHandshakes());
    SessionRelay relay = new SessionRelay(vertx, config, tickets, new SessionReports(broker),
        new GatewayMetrics(registry, slots), slots);
    return new Gateway(relay, new WebSocketGateway(vertx, relay, logins));
  }

  /** Adds {@code GET /gateway} (the WebSocket entry) to a root router. */
  public void mount(Router root) {
    root.get(WEBSOCKET_PATH).handler(webSocket::handle);
  }

  /** A verticle serving the raw TLS entry with these options; deploy one per event loop. */
  public RawGatewayListener rawListener(NetServerOptions options) {
    return new RawGatewayListener(options, relay);
  }

  /** Ends the streams of a session on this node (it was disconnected or logged off); returns how many. */
  public int disconnect(String sessionId) {
    return relay.cut(sessionId);
  }

  /** Open streams on this node. */
  public int connections() {
    return relay.metrics().connections();
  }

  public Future<Void> close() {
    return relay.close();
  }
}
