package dev.outpost.gateway;

import dev.outpost.broker.BrokerClient;
import dev.outpost.gateway.impl.GatewayMetrics;
import dev.outpost.gateway.impl.HandshakeSlots;
import dev.outpost.gateway.impl.HostDialer;
import dev.outpost.gateway.impl.HubRendezvous;
import dev.outpost.gateway.impl.RawGatewayListener;
import dev.outpost.gateway.impl.RendezvousAnswer;
import dev.outpost.gateway.impl.SessionRelay;
import dev.outpost.gateway.impl.SessionReports;
import dev.outpost.gateway.impl.SshTerminals;
import dev.outpost.gateway.impl.TerminalGateway;
import dev.outpost.gateway.impl.WebSocketGateway;
import dev.outpost.identity.LoginService;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.ext.web.Router;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The ticketed session gateway of one node: clients present a one-time launch ticket on
 * {@code wss://node/gateway} or on the raw TLS port ({@code gateway.port}), and the node splices their stream to
 * the session host named in the ticket. At a hub, the same entry serves external clients by rendezvous with an
 * appliance of the ticket's resource location. See {@code docs/protocols/gateway.md}.
 */
public final class Gateway {

  /** Path of the WebSocket entry on the HTTPS listener. */
  public static final String WEBSOCKET_PATH = "/gateway";
  /** Path of the browser terminal's WebSocket entry on the HTTPS listener (appliances only). */
  public static final String TERMINAL_PATH = "/gateway/terminal";
  /** Event-bus address (published to every node of the cluster) whose body is a session id to cut. */
  public static final String CUT_ADDRESS = "outpost.gateway.cut";

  private final SessionRelay relay;
  private final WebSocketGateway webSocket;
  private final NetClient hosts;
  private final HubRendezvous rendezvous;
  private final TerminalGateway terminal;
  private final SshTerminals ssh;

  private Gateway(SessionRelay relay, WebSocketGateway webSocket, NetClient hosts, HubRendezvous rendezvous,
      TerminalGateway terminal, SshTerminals ssh) {
    this.relay = relay;
    this.webSocket = webSocket;
    this.hosts = hosts;
    this.rendezvous = rendezvous;
    this.terminal = terminal;
    this.ssh = ssh;
  }

  /**
   * An appliance's gateway: tickets from this site's cluster, streams to its session hosts, and browser terminals
   * that log in to the hosts with SSH.
   *
   * @param siteLogins the logins the site makes for users (its SSH user CA), or {@link TerminalGateway.SiteLogins#NONE}
   * @param recorder records the browser terminals of pools whose policy says so
   */
  public static Gateway create(Vertx vertx, GatewayConfig config, TicketStore tickets, BrokerClient broker,
      LoginService logins, MeterRegistry registry, TerminalGateway.SiteLogins siteLogins, TerminalRecorder recorder) {
    Objects.requireNonNull(config);
    NetClient hosts = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
        .setTcpNoDelay(true));
    HandshakeSlots slots = new HandshakeSlots(config.maxHandshakes(), config.maxHandshakesPerAddress());
    HostDialer dialer = new HostDialer(tickets, hosts);
    SessionRelay relay = new SessionRelay(vertx, config, dialer, SessionReports.to(broker),
        new GatewayMetrics(registry, slots), slots);
    SshTerminals ssh = SshTerminals.start(vertx, config.connectTimeout());
    Gateway gateway = new Gateway(relay, new WebSocketGateway(vertx, relay, WebSocketGateway.Bearers.of(logins)),
        hosts, null, new TerminalGateway(vertx, relay, dialer, ssh, siteLogins, recorder),
        ssh);
    vertx.eventBus().<String>consumer(CUT_ADDRESS, message -> relay.cut(message.body()));
    return gateway;
  }

  /**
   * The hub's rendezvous gateway for external clients: each stream is opened by an appliance of the ticket's
   * resource location, over a data channel that appliance dials out to the hub.
   *
   * @param applianceLocation authenticates an appliance's data channel and tells its resource location
   */
  public static Gateway hub(Vertx vertx, GatewayConfig config, HubRendezvous.Appliances appliances,
      Function<ServerWebSocket, Future<String>> applianceLocation, MeterRegistry registry) {
    HandshakeSlots slots = new HandshakeSlots(config.maxHandshakes(), config.maxHandshakesPerAddress());
    HubRendezvous rendezvous = new HubRendezvous(vertx, appliances, applianceLocation, config.connectTimeout()
        .plusSeconds(5));
    SessionRelay relay = new SessionRelay(vertx, config, rendezvous, SessionReports.none(),
        new GatewayMetrics(registry, slots), slots);
    return new Gateway(relay, new WebSocketGateway(vertx, relay, WebSocketGateway.Bearers.ignored()), null,
        rendezvous, null, null);
  }

  /**
   * Adds {@code GET /gateway} (the WebSocket entry) to a router; at an appliance the browser terminal's
   * {@code GET /gateway/terminal}, at a hub the appliances' data channels.
   */
  public void mount(Router root) {
    root.get(WEBSOCKET_PATH).handler(webSocket::handle);
    if (terminal != null) {
      root.get(TERMINAL_PATH).handler(terminal::handle);
    }
    if (rendezvous != null) {
      root.get(RendezvousProtocol.DATA_PATH).handler(ctx -> ctx.request().toWebSocket()
          .onSuccess(rendezvous::dataChannel)
          .onFailure(ctx::fail));
    }
  }

  /** A verticle serving the raw TLS entry with these options; deploy one per event loop. */
  public RawGatewayListener rawListener(NetServerOptions options) {
    return new RawGatewayListener(options, relay);
  }

  /**
   * Answers the hub's {@link RendezvousProtocol#OPEN} request: opens the stream like a client's and carries it over
   * a data channel from {@code dataChannel}, which dials the hub's {@link RendezvousProtocol#DATA_PATH}.
   */
  public Future<JsonObject> openForHub(JsonObject request, Supplier<Future<WebSocket>> dataChannel) {
    return new RendezvousAnswer(relay, dataChannel).answer(request);
  }

  /**
   * Ends the streams of a session (it was disconnected or logged off) on every node of the cluster: the client
   * may have connected through any of them.
   */
  public void disconnect(String sessionId) {
    relay.cut(sessionId);
    relay.vertx().eventBus().publish(CUT_ADDRESS, sessionId, new DeliveryOptions().setLocalOnly(false));
  }

  /** Open streams on this node. */
  public int connections() {
    return relay.metrics().connections();
  }

  public Future<Void> close() {
    // MINA's stop waits for its I/O threads: not on an event loop
    Future<Void> sshClosed = ssh == null ? Future.succeededFuture()
        : relay.vertx().executeBlocking(() -> {
          ssh.close();
          return null;
        });
    return sshClosed.compose(v -> hosts == null ? Future.succeededFuture() : hosts.close());
  }
}
