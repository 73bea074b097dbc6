package dev.outpost.gateway.impl;

import dev.outpost.crypto.SshUserCa;
import dev.outpost.gateway.TicketStore.Ticket;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.Objects;

/**
 * The site logs in for the user when the launched resource has a host login: a fresh key and a certificate from
 * the site's SSH user CA for that one login, valid for minutes, made for this terminal and forgotten with it.
 * Resources without a host login leave the login to the user.
 */
public final class CertificateLogins implements TerminalGateway.SiteLogins {

  private final Vertx vertx;
  private final Supplier<SshUserCa> ca;
  private final Clock clock;
  private final Duration validity;

  public CertificateLogins(Vertx vertx, SshUserCa ca, Clock clock, Duration validity) {
    this(vertx, () -> ca, clock, validity);
  }

  /** Signs with the SSH user CA of the site CA that issues now (it changes with a site CA rotation). */
  public CertificateLogins(Vertx vertx, Supplier<SshUserCa> ca, Clock clock, Duration validity) {
    this.vertx = Objects.requireNonNull(vertx);
    this.ca = Objects.requireNonNull(ca);
    this.clock = Objects.requireNonNull(clock);
    this.validity = Objects.requireNonNull(validity);
  }

  @Override
  public Future<TerminalGateway.SiteLogin> forTicket(Ticket ticket) {
    if (ticket.hostLogin().isEmpty()) {
      return Future.succeededFuture(null);
    }
    // the key id names the user and session in the host's sshd log
    String keyId = "outpost user " + ticket.userId() + " session " + ticket.sessionId();
    return vertx.executeBlocking(() -> new TerminalGateway.SiteLogin(ticket.hostLogin(),
        new SshTerminals.Credential.Keys(List.of(ca.get().sign(keyId, ticket.hostLogin(), clock.instant(), validity)
            .keyPair()))), false);
  }
}
