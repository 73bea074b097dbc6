package dev.outpost.broker;

import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * Brokering as the store, the gateway and the admin APIs see it. The appliance's implementation relays to the hub's
 * broker (or, in outage mode, to the cluster's leading appliance); futures complete on the caller's context.
 * Launches go through {@link LaunchService}, which adds the ticket to a placement.
 */
public interface BrokerClient {

  /** Which sessions to list; {@code null} fields match anything. */
  record SessionQuery(String userId, String username, SessionState state, String hostId, String resource,
      boolean openOnly, int limit) {

    public JsonObject toJson() {
      return new JsonObject().put("userId", userId).put("username", username)
          .put("state", state == null ? null : state.wireName())
          .put("hostId", hostId).put("resource", resource).put("openOnly", openOnly).put("limit", limit);
    }

    public static SessionQuery fromJson(JsonObject json) {
      String state = json.getString("state");
      return new SessionQuery(json.getString("userId"), json.getString("username"),
          state == null ? null : SessionState.fromWire(state),
          json.getString("hostId"), json.getString("resource"), json.getBoolean("openOnly", false),
          json.getInteger("limit", 1000));
    }

    public boolean matches(SessionView s) {
      return (userId == null || userId.equals(s.userId()))
          && (username == null || username.equalsIgnoreCase(s.username()))
          && (state == null || state == s.state())
          && (hostId == null || hostId.equals(s.hostId()) || hostId.equalsIgnoreCase(s.hostName()))
          && (resource == null || resource.equals(s.resourceId()) || resource.equalsIgnoreCase(s.resourceName()))
          && (!openOnly || s.state().open());
    }
  }

  Future<List<ResourceView>> resources(UserRef user);

  /**
   * Places a session of the user on a host of the resource's pool, or finds the user's open one: 404 for a resource
   * the user may not launch, 503 when no host accepts, 409 when all are full.
   */
  Future<Placement> place(UserRef user, String resource);

  Future<List<SessionView>> sessions(SessionQuery query);

  /** Ends a session and tells its agent to log it off. */
  Future<SessionView> logoff(String sessionId, String reason);

  /** Marks a session disconnected and tells its agent (and later the gateway) to drop the connection. */
  Future<SessionView> disconnect(String sessionId);

  /** Records that the session's stream connected or ended (reported by the gateway). */
  Future<SessionView> markState(String sessionId, SessionState state);

  Future<List<HostView>> hosts();

  /** Sets drain and/or maintenance mode; {@code null} leaves a flag as it is. */
  Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance);
}
