package dev.outpost.gateway.impl;

import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import dev.outpost.gateway.TicketStore;
import dev.outpost.gateway.TicketStore.Ticket;
import io.vertx.core.Future;
import io.vertx.core.net.NetClient;
import java.util.Objects;

/** The appliance's way to open a stream: consume the ticket cluster-wide, then connect to its session host. */
public final class HostDialer implements StreamOpener {

  private final TicketStore tickets;
  private final NetClient hosts;

  public HostDialer(TicketStore tickets, NetClient hosts) {
    this.tickets = Objects.requireNonNull(tickets);
    this.hosts = Objects.requireNonNull(hosts);
  }

  /**
   * Consumes the ticket and connects to its host. The request's user, when not {@code null}, must own the ticket
   * (the ticket is used up either way: a ticket shown with the wrong credentials counts as stolen).
   */
  @Override
  public Future<Opened> open(Request request) {
    return ticket(request).compose(this::dial);
  }

  /**
   * Consumes the ticket and checks its user, without dialing: for an entry that reaches the host its own way
   * (the browser terminal's SSH client).
   */
  public Future<Ticket> ticket(Request request) {
    return tickets.consume(request.ticket())
        .compose(t -> request.userId() == null || request.userId().equals(t.userId()) ? Future.succeededFuture(t)
            : Future.failedFuture(new GatewayRefusal(GatewayStatus.WRONG_USER,
                "this ticket was issued to another user")));
  }

  private Future<Opened> dial(Ticket ticket) {
    return hosts.connect(ticket.port(), ticket.hostAddress())
        .recover(e -> Future.failedFuture(new GatewayRefusal(GatewayStatus.HOST_UNREACHABLE,
            "the session host does not accept connections on port " + ticket.port() + " (" + e.getMessage() + ")",
            e)))
        .map(socket -> new Opened(ticket.sessionId(), StreamEnds.of(socket.pause())));
  }
}
