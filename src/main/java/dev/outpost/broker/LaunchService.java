package dev.outpost.broker;

import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.gateway.TicketStore;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.Objects;

/**
 * Launches on this appliance: the broker places the session (the hub's, or the cluster's leader in outage mode),
 * then this service mints the session's one-time ticket here and keeps only its hash in the cluster's
 * {@link TicketStore} until a gateway consumes it. The ticket itself goes to the user only: it never crosses the
 * hub tunnel or the event bus.
 */
public final class LaunchService {

  /** Random bytes of a ticket (256 bits). */
  private static final int TICKET_BYTES = 32;

  /**
   * A launched session with its one-time ticket, as the store answers the user.
   *
   * @param expiresAt when the ticket expires unused
   * @param launchHint the resource's launch hint (e.g. {@code ssh}); empty when unknown
   * @param hostLogin the resource's host login the site logs in as with its SSH user CA; empty when none
   */
  public record Launch(SessionView session, String ticket, Instant expiresAt, boolean reconnected,
      String launchHint, String hostLogin) {
  }

  private final BrokerClient broker;
  private final TicketStore tickets;

  public LaunchService(BrokerClient broker, TicketStore tickets) {
    this.broker = Objects.requireNonNull(broker);
    this.tickets = Objects.requireNonNull(tickets);
  }

  /** Places a session of the user and issues its ticket; fails as {@link BrokerClient#place} does. */
  public Future<Launch> launch(UserRef user, String resource) {
    return broker.place(user, resource)
        .compose(placement -> ticketed(placement)
            .compose(ticket -> launchHint(user, placement)
                .map(hint -> new Launch(placement.session(), ticket, placement.expiresAt(), placement.reconnected(),
                    hint, placement.hostLogin()))));
  }

  /** Mints a ticket for the placement and stores its hash; completes with the ticket once it can be used. */
  private Future<String> ticketed(Placement placement) {
    String ticket = SecureTokens.random(TICKET_BYTES);
    SessionView session = placement.session();
    return tickets.put(SecureTokens.hash(ticket), new TicketStore.Ticket(session.id(), session.userId(),
            session.hostId(), session.hostAddress(), session.port(), placement.expiresAt(),
            placement.hostLogin(), placement.record(), session.username()))
        .map(ticket);
  }

  /**
   * The launched resource's hint, as the placement carries it; only from a broker of an older version, which did not
   * send it, from the user's resource list (empty when that cannot be read).
   */
  private Future<String> launchHint(UserRef user, Placement placement) {
    if (placement.launchHint() != null) {
      return Future.succeededFuture(placement.launchHint());
    }
    return broker.resources(user)
        .map(list -> list.stream().filter(r -> r.resource().id().equals(placement.session().resourceId()))
            .map(r -> r.resource().launchHint()).findFirst().orElse(""))
        .otherwise("");
  }
}
