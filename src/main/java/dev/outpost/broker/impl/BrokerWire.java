package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostLost;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.SiteModel;
import dev.outpost.broker.SiteModelJson;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.error.ClientErrorException;
import dev.outpost.hosts.HostEvents;
import dev.outpost.hosts.HostEvents.Registered;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The one wire form of brokering: each {@link BrokerOperations} name mapped onto a typed broker. The skeleton
 * ({@link #hub}, {@link #leader}) decodes a request's JSON body into the model records, calls the broker and encodes
 * its answer; the request and answer codecs below are what {@link RelayedBroker}, the matching stub, sends and
 * reads. The hub serves each appliance node's tunnel through it, and in outage mode the cluster's leading appliance
 * serves the other nodes' event-bus requests through it, so both speak exactly the same bodies.
 */
public final class BrokerWire {

  /** The state of a host that is enrolled but not registered, in the answer to {@code hosts.update}. */
  static final String UNREGISTERED = "unregistered";
  /** In a launch request: the caller mints the ticket itself; without it the answer carries one (older callers). */
  static final String MINTS_TICKET = "mintsTicket";

  /**
   * The hub's broker as one appliance node sees it: brokering in the node's location, the reports of the hosts
   * linked to that node, the location's site model, and the take-over of the sessions it brokered alone.
   */
  public interface HubBroker extends BrokerClient, HostEvents {

    /** The location's site model; empty when it is still at {@code haveVersion}, the caller's version. */
    Future<Optional<SiteModel>> snapshot(long haveVersion);

    /** Takes over sessions brokered while the hub could not be reached; answers how many it took. */
    Future<Integer> adopt(List<SessionView> sessions);
  }

  private BrokerWire() {
  }

  // ---- skeleton -----------------------------------------------------------------------------------

  /** The hub's handler of {@code op} for one appliance node; {@code null} when it is not a broker operation. */
  public static Function<JsonObject, Future<JsonObject>> hub(String op, HubBroker broker) {
    Function<JsonObject, Future<JsonObject>> handler = switch (op) {
      case BrokerOperations.HOSTS_REGISTER -> body -> broker.registered(HostRegistration.fromJson(
          body.getJsonObject("registration", new JsonObject()))).map(BrokerWire::registeredAnswer);
      case BrokerOperations.HOSTS_HEARTBEAT -> body -> broker.heartbeat(Heartbeat.fromJson(
          body.getJsonObject("heartbeat", new JsonObject()))).map(v -> new JsonObject());
      case BrokerOperations.HOSTS_LOST -> body -> {
        HostLost lost = HostLost.fromJson(body);
        return broker.lost(lost.hostId(), lost.reason()).map(v -> new JsonObject());
      };
      case BrokerOperations.SITE_SNAPSHOT -> body -> broker.snapshot(body.getLong("haveVersion", -1L))
          .map(model -> model.map(m -> new JsonObject().put("model", SiteModelJson.toJson(m)))
              .orElseGet(() -> new JsonObject().put("unchanged", true)));
      case BrokerOperations.SESSIONS_ADOPT -> body -> broker.adopt(sessions(body))
          .map(adopted -> new JsonObject().put("adopted", adopted));
      default -> null;
    };
    return handler != null ? guarded(handler) : brokering(op, broker);
  }

  /**
   * The outage-mode leader's handler of {@code op} for another node of the cluster: brokering only, since every
   * node hears the host reports itself; {@code null} for any other operation.
   */
  public static Function<JsonObject, Future<JsonObject>> leader(String op, BrokerClient broker) {
    return brokering(op, broker);
  }

  private static Function<JsonObject, Future<JsonObject>> brokering(String op, BrokerClient broker) {
    Function<JsonObject, Future<JsonObject>> handler = switch (op) {
      case BrokerOperations.RESOURCES -> body -> broker.resources(user(body))
          .map(list -> items(list.stream().map(ResourceView::toJson).toList()));
      case BrokerOperations.LAUNCH -> body -> broker.place(user(body), required(body, "resource"))
          .map(placement -> withTicketFor(body, placement.toJson()));
      case BrokerOperations.SESSIONS_LIST -> body -> broker.sessions(SessionQuery.fromJson(
          body.getJsonObject("query", new JsonObject()))).map(BrokerWire::sessionItems);
      case BrokerOperations.SESSIONS_LOGOFF -> body -> broker.logoff(required(body, "sessionId"),
          body.getString("reason", "logged off")).map(SessionView::toJson);
      case BrokerOperations.SESSIONS_DISCONNECT -> body -> broker.disconnect(required(body, "sessionId"))
          .map(SessionView::toJson);
      case BrokerOperations.SESSIONS_STATE -> body -> broker.markState(required(body, "sessionId"),
          SessionState.fromWire(required(body, "state"))).map(SessionView::toJson);
      case BrokerOperations.HOSTS_LIST -> body -> broker.hosts()
          .map(list -> items(list.stream().map(HostView::toJson).toList()));
      case BrokerOperations.HOSTS_UPDATE -> body -> {
        String hostId = required(body, "hostId");
        return broker.updateHost(hostId, body.getBoolean("draining"), body.getBoolean("maintenance"))
            .map(host -> host != null ? host.toJson() : new JsonObject().put("id", hostId).put("state",
                UNREGISTERED));
      };
      default -> null;
    };
    return handler == null ? null : guarded(handler);
  }

  /**
   * An appliance of the previous version asks without {@value #MINTS_TICKET} and expects the broker to mint the
   * ticket: it gets one, as before (its hash is what it stores). Remove with the next major of the broker wire.
   */
  private static JsonObject withTicketFor(JsonObject request, JsonObject placement) {
    if (request.getBoolean(MINTS_TICKET, false)) {
      return placement;
    }
    String ticket = SecureTokens.random(32);
    return placement.put("ticket", ticket).put("ticketHash", SecureTokens.hash(ticket));
  }

  /** A body that cannot be decoded fails the answer (a 400 for a missing field), as a broker's refusal does. */
  private static Function<JsonObject, Future<JsonObject>> guarded(Function<JsonObject, Future<JsonObject>> handler) {
    return body -> {
      try {
        return handler.apply(body);
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    };
  }

  // ---- requests, as the stub sends them -----------------------------------------------------------

  static JsonObject registerRequest(HostRegistration registration) {
    return new JsonObject().put("registration", registration.toJson());
  }

  static JsonObject heartbeatRequest(Heartbeat heartbeat) {
    return new JsonObject().put("heartbeat", heartbeat.toJson());
  }

  static JsonObject resourcesRequest(UserRef user) {
    return new JsonObject().put("user", user.toJson());
  }

  /** Says that this caller mints the session's ticket, so that the answer carries none. */
  static JsonObject launchRequest(UserRef user, String resource) {
    return new JsonObject().put("user", user.toJson()).put("resource", resource).put(MINTS_TICKET, true);
  }

  static JsonObject sessionsRequest(SessionQuery query) {
    return new JsonObject().put("query", query.toJson());
  }

  static JsonObject logoffRequest(String sessionId, String reason) {
    return new JsonObject().put("sessionId", sessionId).put("reason", reason);
  }

  static JsonObject disconnectRequest(String sessionId) {
    return new JsonObject().put("sessionId", sessionId);
  }

  static JsonObject stateRequest(String sessionId, SessionState state) {
    return new JsonObject().put("sessionId", sessionId).put("state", state.wireName());
  }

  static JsonObject updateHostRequest(String hostId, Boolean draining, Boolean maintenance) {
    return new JsonObject().put("hostId", hostId).put("draining", draining).put("maintenance", maintenance);
  }

  static JsonObject adoptRequest(List<SessionView> sessions) {
    return new JsonObject().put("items", new JsonArray(sessions.stream().map(SessionView::toJson).toList()));
  }

  // ---- answers ------------------------------------------------------------------------------------

  static JsonObject registeredAnswer(Registered registered) {
    return new JsonObject().put("ports", new JsonArray(registered.ports()))
        .put("heartbeatSeconds", registered.heartbeatInterval().toSeconds());
  }

  static Registered registered(JsonObject answer) {
    return new Registered(answer.getJsonArray("ports").stream().map(p -> ((Number) p).intValue()).toList(),
        Duration.ofSeconds(answer.getLong("heartbeatSeconds", 10L)));
  }

  /** A host, or {@code null} when the host is enrolled but not registered now. */
  static HostView updatedHost(JsonObject answer) {
    return answer.containsKey("lastSeen") ? HostView.fromJson(answer) : null;
  }

  static JsonObject sessionItems(List<SessionView> sessions) {
    return items(sessions.stream().map(SessionView::toJson).toList());
  }

  static List<SessionView> sessions(JsonObject itemsAnswer) {
    return items(itemsAnswer, SessionView::fromJson);
  }

  static <T> List<T> items(JsonObject answer, Function<JsonObject, T> decode) {
    return answer.getJsonArray("items", new JsonArray()).stream().map(o -> decode.apply((JsonObject) o)).toList();
  }

  private static JsonObject items(List<JsonObject> items) {
    return new JsonObject().put("items", new JsonArray(items));
  }

  private static UserRef user(JsonObject body) {
    JsonObject user = body.getJsonObject("user");
    if (user == null || user.getString("id") == null) {
      throw ClientErrorException.validation("user is required");
    }
    return UserRef.fromJson(user);
  }

  private static String required(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (!(value instanceof String text) || text.isEmpty()) {
      throw ClientErrorException.validation(field + " is required");
    }
    return text;
  }
}
