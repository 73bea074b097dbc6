package dev.outpost.gateway;

import dev.outpost.wire.SchemaVersion;
import dev.outpost.cluster.SealedMap;
import dev.outpost.cluster.ClusterFutures;
import dev.outpost.crypto.SecureTokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * One-time launch tickets, kept cluster-wide under the SHA-256 of the ticket (never the ticket itself) until
 * they are used or expire, sealed under the cluster secret (a ticket entry that nobody of the site wrote does not
 * open, so it admits nobody). The gateway consumes them atomically: {@link SealedMap#removeAsync} hands an entry's
 * value to exactly one caller in the whole cluster.
 */
public final class TicketStore {

  public static final String MAP_NAME = "outpost.gateway.tickets";
  /** Schema version of the stored entries. */
  public static final int ENTRY_VERSION = 1;

  /**
   * What a ticket entitles to: one stream to {@code hostAddress:port} for the user's session; {@code hostLogin} is
   * the resource's host account for a browser terminal the site logs in with its SSH user CA (empty: none);
   * {@code record} says the pool's policy records the session's browser terminal; {@code username} names the user
   * for people (empty when the launching node did not say).
   */
  public record Ticket(String sessionId, String userId, String hostId, String hostAddress, int port,
      Instant expiresAt, String hostLogin, boolean record, String username) {

    /** A ticket of a resource without a host login, not recorded. */
    public Ticket(String sessionId, String userId, String hostId, String hostAddress, int port, Instant expiresAt) {
      this(sessionId, userId, hostId, hostAddress, port, expiresAt, "");
    }

    /** A ticket whose terminal is not recorded. */
    public Ticket(String sessionId, String userId, String hostId, String hostAddress, int port, Instant expiresAt,
        String hostLogin) {
      this(sessionId, userId, hostId, hostAddress, port, expiresAt, hostLogin, false, "");
    }

    public Ticket {
      hostLogin = hostLogin == null ? "" : hostLogin;
      username = username == null ? "" : username;
    }

    public JsonObject toJson() {
      return SchemaVersion.stamp(new JsonObject(), ENTRY_VERSION).put("sessionId", sessionId).put("userId", userId)
          .put("hostId", hostId).put("hostAddress", hostAddress).put("port", port)
          .put("expiresAt", expiresAt.toString()).put("hostLogin", hostLogin).put("record", record)
          .put("username", username);
    }

    public static Ticket fromJson(JsonObject json) {
      SchemaVersion.require(json, ENTRY_VERSION, "ticket");
      return new Ticket(Objects.requireNonNull(json.getString("sessionId")),
          Objects.requireNonNull(json.getString("userId")), json.getString("hostId"),
          Objects.requireNonNull(json.getString("hostAddress")), json.getInteger("port"),
          Instant.parse(json.getString("expiresAt")), json.getString("hostLogin", ""), json.getBoolean("record", false),
          json.getString("username", ""));
    }
  }

  private final Vertx vertx;
  private final SealedMap tickets;
  private final Clock clock;

  public TicketStore(Vertx vertx, SealedMap tickets) {
    this(vertx, tickets, Clock.systemUTC());
  }

  public TicketStore(Vertx vertx, SealedMap tickets, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.tickets = Objects.requireNonNull(tickets);
    this.clock = Objects.requireNonNull(clock);
  }

  /** The same store seen through another clock (tests use it to store tickets that are already expired). */
  public TicketStore withClock(Clock other) {
    return new TicketStore(vertx, tickets, other);
  }

  /** Stores an entry under a ticket hash; kept at least a millisecond so that an expired entry can be seen. */
  public Future<Void> put(String ticketHash, Ticket ticket) {
    long ttl = Math.max(1, Duration.between(clock.instant(), ticket.expiresAt()).toMillis());
    return ClusterFutures.on(vertx.getOrCreateContext(), tickets.setAsync(ticketHash, ticket.toJson().encode(), ttl,
        TimeUnit.MILLISECONDS));
  }

  /**
   * Takes a ticket out of the store, once: a second call with the same ticket (on any node) fails with
   * {@link GatewayStatus#UNKNOWN_TICKET}; an entry past its expiry fails with {@link GatewayStatus#EXPIRED_TICKET}.
   */
  public Future<Ticket> consume(String ticket) {
    return ClusterFutures.on(vertx.getOrCreateContext(), tickets.removeAsync(SecureTokens.hash(ticket)))
        .recover(e -> Future.failedFuture(new GatewayRefusal(GatewayStatus.BUSY,
            "the ticket store cannot be reached; try again", e)))
        .compose(this::valid);
  }

  private Future<Ticket> valid(String stored) {
    if (stored == null) {
      return Future.failedFuture(new GatewayRefusal(GatewayStatus.UNKNOWN_TICKET,
          "unknown ticket: it was never issued, was already used, or has expired; launch again"));
    }
    Ticket ticket;
    try {
      ticket = Ticket.fromJson(new JsonObject(stored));
    } catch (SchemaVersion.UnreadableException e) {
      return Future.failedFuture(new GatewayRefusal(GatewayStatus.UNKNOWN_TICKET, "unreadable ticket entry: "
          + e.getMessage() + "; launch again through a node of this version", e));
    } catch (DecodeException | DateTimeParseException | NullPointerException | ClassCastException e) {
      return Future.failedFuture(new GatewayRefusal(GatewayStatus.UNKNOWN_TICKET, "unreadable ticket entry", e));
    }
    if (!clock.instant().isBefore(ticket.expiresAt())) {
      return Future.failedFuture(new GatewayRefusal(GatewayStatus.EXPIRED_TICKET,
          "the ticket expired at " + ticket.expiresAt() + "; launch again"));
    }
    return Future.succeededFuture(ticket);
  }
}
