package dev.outpost.gateway.impl;

import dev.outpost.appliance.config.OutpostConfig.GatewayConfig;
import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import dev.outpost.gateway.TicketStore;
import dev.outpost.gateway.TicketStore.Ticket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.util.Objects;

/**
 * The part both gateway entries share: consume the ticket, check whose it is, dial the session host, and carry
 * the stream. Methods are called on the client connection's context; the host socket lives on the same one.
 */
public final class SessionRelay {

  /** A consumed ticket whose host accepted the connection. */
  public record Opened(Ticket ticket, NetSocket host) {
  }

  private final Vertx vertx;
  private final GatewayConfig config;
  private final TicketStore tickets;
  private final SessionReports reports;
  private final GatewayMetrics metrics;
  private final HandshakeSlots handshakes;
  private final NetClient hosts;

  /** Open streams by session id, so that a disconnect or log-off can end them. */
  private final java.util.Map<String, java.util.Set<Splice>> live = new java.util.concurrent.ConcurrentHashMap<>();

  public SessionRelay(Vertx vertx, GatewayConfig config, TicketStore tickets, SessionReports reports,
      GatewayMetrics metrics, HandshakeSlots handshakes) {
    this.vertx = Objects.requireNonNull(vertx);
    this.config = Objects.requireNonNull(config);
    this.tickets = Objects.requireNonNull(tickets);
    this.reports = Objects.requireNonNull(reports);
    this.metrics = Objects.requireNonNull(metrics);
    this.handshakes = Objects.requireNonNull(handshakes);
    this.hosts = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.connectTimeout().toMillis()))
        .setTcpNoDelay(true));
  }

  public GatewayConfig config() {
    return config;
  }

  public HandshakeSlots handshakes() {
    return handshakes;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  /**
   * Consumes the ticket and connects to its host. {@code userId}, when not {@code null}, must own the ticket
   * (the ticket is used up either way: a ticket shown with the wrong credentials counts as stolen).
   */
  public Future<Opened> open(String ticket, String userId) {
    return tickets.consume(ticket)
        .compose(t -> userId == null || userId.equals(t.userId()) ? Future.succeededFuture(t)
            : Future.failedFuture(new GatewayRefusal(GatewayStatus.WRONG_USER,
                "this ticket was issued to another user")))
        .compose(this::dial);
  }

  private Future<Opened> dial(Ticket ticket) {
    return hosts.connect(ticket.port(), ticket.hostAddress())
        .recover(e -> Future.failedFuture(new GatewayRefusal(GatewayStatus.HOST_UNREACHABLE,
            "the session host does not accept connections on port " + ticket.port() + " (" + e.getMessage() + ")",
            e)))
        .map(socket -> new Opened(ticket, socket.pause()));
  }

  /** Carries the stream until either side ends; {@code early} bytes go to the host first. */
  void splice(Opened opened, Splice.ClientSide client, Buffer early) {
    String sessionId = opened.ticket().sessionId();
    Splice[] self = new Splice[1];
    self[0] = new Splice(vertx, opened.ticket(), opened.host(), client, metrics, reports, config.idleTimeout(),
        () -> live.computeIfPresent(sessionId, (id, set) -> {
          set.remove(self[0]);
          return set.isEmpty() ? null : set;
        }));
    live.computeIfAbsent(sessionId, id -> java.util.concurrent.ConcurrentHashMap.newKeySet()).add(self[0]);
    self[0].start(early);
  }

  /** Ends every stream of this session on this node; returns how many there were. */
  public int cut(String sessionId) {
    java.util.Set<Splice> streams = live.getOrDefault(sessionId, java.util.Set.of());
    streams.forEach(Splice::cut);
    return streams.size();
  }

  public Future<Void> close() {
    return hosts.close();
  }
}
