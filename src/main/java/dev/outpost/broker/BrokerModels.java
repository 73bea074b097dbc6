package dev.outpost.broker;

import dev.outpost.wire.SchemaVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The broker's value types and their JSON wire form (schema version {@link #SCHEMA}). */
public final class BrokerModels {

  public static final int SCHEMA = 1;

  private BrokerModels() {
  }

  /**
   * Who asks: the signed-in user's id and name, and for a directory user the normalised DNs of their directory
   * groups (resolved at sign-in; {@code directoryGroups} on the wire, absent when empty).
   */
  public record UserRef(String id, String username, java.util.Set<String> directoryGroups) {
    public UserRef {
      directoryGroups = directoryGroups == null ? java.util.Set.of() : java.util.Set.copyOf(directoryGroups);
    }

    /** A local user: no directory groups. */
    public UserRef(String id, String username) {
      this(id, username, java.util.Set.of());
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("id", id).put("username", username);
      if (!directoryGroups.isEmpty()) {
        json.put("directoryGroups", new JsonArray(directoryGroups.stream().sorted().toList()));
      }
      return json;
    }

    public static UserRef fromJson(JsonObject json) {
      return new UserRef(json.getString("id"), json.getString("username"),
          java.util.Set.copyOf(parseStrings(json.getJsonArray("directoryGroups"))));
    }
  }

  /**
   * What the node an agent links to reports about its host: that it registered, its heartbeats, that its link was
   * lost. Sealed, so that whoever applies reports (a broker, the cluster's other nodes) handles every kind.
   */
  public sealed interface HostReport permits HostRegistration, Heartbeat, HostLost {

    /** The host reported on. */
    String hostId();
  }

  /** What an agent tells about its host when it (re)connects. */
  public record HostRegistration(String id, String name, String poolId, String address, String appliance,
      Map<Integer, Boolean> services, double load, List<String> sessions) implements HostReport {

    public HostRegistration {
      services = Map.copyOf(services);
      sessions = List.copyOf(sessions);
    }

    @Override
    public String hostId() {
      return id;
    }

    public JsonObject toJson() {
      JsonObject svc = new JsonObject();
      services.forEach((port, up) -> svc.put(Integer.toString(port), up));
      return SchemaVersion.stamp(new JsonObject(), SCHEMA).put("id", id).put("name", name).put("poolId", poolId)
          .put("address", address).put("appliance", appliance).put("services", svc).put("load", load)
          .put("sessions", new JsonArray(sessions));
    }

    public static HostRegistration fromJson(JsonObject json) {
      SchemaVersion.require(json, SCHEMA, "host registration");
      return new HostRegistration(json.getString("id"), json.getString("name"), json.getString("poolId"),
          json.getString("address"), json.getString("appliance"), parseServices(json.getJsonObject("services")),
          json.getDouble("load", 0.0), parseStrings(json.getJsonArray("sessions")));
    }
  }

  /** A periodic report from an agent. */
  public record Heartbeat(String hostId, Map<Integer, Boolean> services, double load, List<String> sessions)
      implements HostReport {
    public Heartbeat {
      services = Map.copyOf(services);
      sessions = List.copyOf(sessions);
    }

    public JsonObject toJson() {
      JsonObject svc = new JsonObject();
      services.forEach((port, up) -> svc.put(Integer.toString(port), up));
      return SchemaVersion.stamp(new JsonObject(), SCHEMA).put("hostId", hostId).put("services", svc).put("load", load)
          .put("sessions", new JsonArray(sessions));
    }

    public static Heartbeat fromJson(JsonObject json) {
      SchemaVersion.require(json, SCHEMA, "heartbeat");
      return new Heartbeat(json.getString("hostId"), parseServices(json.getJsonObject("services")),
          json.getDouble("load", 0.0), parseStrings(json.getJsonArray("sessions")));
    }
  }

  /** A host's agent link closed or went silent on the node that reports it: {@code {hostId, reason}}. */
  public record HostLost(String hostId, String reason) implements HostReport {

    /** The reason when a report gives none. */
    public static final String LINK_LOST = "agent link lost";

    public JsonObject toJson() {
      return new JsonObject().put("hostId", hostId).put("reason", reason);
    }

    public static HostLost fromJson(JsonObject json) {
      return new HostLost(json.getString("hostId", ""), json.getString("reason", LINK_LOST));
    }
  }

  /** A registered host as the broker sees it. */
  public record HostView(String id, String name, String poolId, String poolName, String address, String appliance,
      String state, boolean draining, boolean maintenance, int sessions, int maxSessions, double load,
      Map<Integer, Boolean> services, Instant lastSeen) {

    public JsonObject toJson() {
      JsonObject svc = new JsonObject();
      services.forEach((port, up) -> svc.put(Integer.toString(port), up));
      return new JsonObject().put("id", id).put("name", name).put("poolId", poolId).put("pool", poolName)
          .put("address", address).put("appliance", appliance).put("state", state).put("draining", draining)
          .put("maintenance", maintenance).put("sessions", sessions).put("maxSessions", maxSessions)
          .put("load", load).put("services", svc).put("lastSeen", lastSeen.toString());
    }

    public static HostView fromJson(JsonObject json) {
      return new HostView(json.getString("id"), json.getString("name"), json.getString("poolId"),
          json.getString("pool"), json.getString("address"), json.getString("appliance"), json.getString("state"),
          json.getBoolean("draining", false), json.getBoolean("maintenance", false), json.getInteger("sessions", 0),
          json.getInteger("maxSessions", 0), json.getDouble("load", 0.0), parseServices(json.getJsonObject("services")),
          Instant.parse(json.getString("lastSeen")));
    }
  }

  /**
   * A brokered session. {@code poolId} and {@code poolName} are the pool of its resource ({@code poolId},
   * {@code pool} on the wire; absent from peers of an older version).
   */
  public record SessionView(String id, String userId, String username, String resourceId, String resourceName,
      String poolId, String poolName, String hostId, String hostName, String hostAddress, int port,
      SessionState state, String endReason, Instant createdAt, Instant updatedAt) {

    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("userId", userId).put("username", username)
          .put("resourceId", resourceId).put("resource", resourceName).put("poolId", poolId).put("pool", poolName)
          .put("hostId", hostId).put("host", hostName).put("hostAddress", hostAddress).put("port", port)
          .put("state", state.wireName()).put("endReason", endReason).put("createdAt", createdAt.toString())
          .put("updatedAt", updatedAt.toString());
    }

    public static SessionView fromJson(JsonObject json) {
      return new SessionView(json.getString("id"), json.getString("userId"), json.getString("username"),
          json.getString("resourceId"), json.getString("resource"), json.getString("poolId"), json.getString("pool"),
          json.getString("hostId"), json.getString("host"), json.getString("hostAddress"), json.getInteger("port", 0),
          SessionState.fromWire(json.getString("state")), json.getString("endReason"),
          Instant.parse(json.getString("createdAt")),
          Instant.parse(json.getString("updatedAt")));
    }
  }

  /** A resource as the store lists it for one user. */
  public record ResourceView(SiteModel.Resource resource, boolean available, String reason) {

    /** The {@code reason} of a resource whose accepting hosts are all full. */
    public static final String AT_CAPACITY = "all hosts are at capacity";

    public JsonObject toJson() {
      return new JsonObject().put("id", resource.id()).put("name", resource.name())
          .put("displayName", resource.displayName().isEmpty() ? resource.name() : resource.displayName())
          .put("poolId", resource.poolId()).put("kind", resource.kind()).put("port", resource.port())
          .put("launchHint", resource.launchHint()).put("hostLogin", resource.hostLogin())
          .put("category", resource.category())
          .put("available", available).put("reason", reason);
    }

    public static ResourceView fromJson(JsonObject json) {
      return new ResourceView(new SiteModel.Resource(json.getString("id"), json.getString("name"),
          json.getString("displayName", ""), json.getString("poolId", ""), json.getString("kind"),
          json.getInteger("port", 0), json.getString("launchHint", ""), json.getString("hostLogin", ""),
          json.getString("category", "")),
          json.getBoolean("available", false),
          json.getString("reason"));
    }
  }

  /**
   * A broker's answer to a launch: where the session is placed. The appliance that asked mints the session's
   * one-time ticket itself ({@link LaunchService}), so no ticket travels between a broker and an appliance.
   *
   * @param expiresAt until when the session waits for its first stream: the lifetime of its ticket
   * @param reconnected whether this is the user's open session of the resource, on the host it runs on
   * @param launchHint the resource's launch hint (e.g. {@code ssh}), so that the store needs no second request;
   *     {@code null} when the answer came from a broker of a version that did not send it
   * @param hostLogin the resource's host login for the site's SSH user CA; empty when it has none (or the broker's
   *     version did not send it)
   * @param record whether the pool's policy records the session's browser terminal (false when the broker's version
   *     did not send it)
   */
  public record Placement(SessionView session, Instant expiresAt, boolean reconnected, String launchHint,
      String hostLogin, boolean record) {

    public Placement {
      hostLogin = hostLogin == null ? "" : hostLogin;
    }

    /** A placement of a resource without a host login, in a pool that does not record. */
    public Placement(SessionView session, Instant expiresAt, boolean reconnected, String launchHint) {
      this(session, expiresAt, reconnected, launchHint, "", false);
    }

    /** A placement in a pool that does not record. */
    public Placement(SessionView session, Instant expiresAt, boolean reconnected, String launchHint,
        String hostLogin) {
      this(session, expiresAt, reconnected, launchHint, hostLogin, false);
    }

    public JsonObject toJson() {
      return new JsonObject().put("session", session.toJson()).put("expiresAt", expiresAt.toString())
          .put("reconnected", reconnected).put("launchHint", launchHint).put("hostLogin", hostLogin)
          .put("record", record);
    }

    /** Reads an answer; the {@code ticket} and {@code ticketHash} a broker of the previous version adds are ignored. */
    public static Placement fromJson(JsonObject json) {
      return new Placement(SessionView.fromJson(json.getJsonObject("session")),
          Instant.parse(json.getString("expiresAt")), json.getBoolean("reconnected", false),
          json.getString("launchHint"), json.getString("hostLogin", ""), json.getBoolean("record", false));
    }
  }

  static Map<Integer, Boolean> parseServices(JsonObject json) {
    Map<Integer, Boolean> services = new HashMap<>();
    if (json != null) {
      for (String key : json.fieldNames()) {
        try {
          services.put(Integer.parseInt(key), Boolean.TRUE.equals(json.getValue(key)));
        } catch (NumberFormatException e) {
          // not a port: ignore, as unknown fields are ignored
        }
      }
    }
    return services;
  }

  static List<String> parseStrings(JsonArray array) {
    if (array == null) {
      return List.of();
    }
    return array.stream().filter(String.class::isInstance).map(String.class::cast).toList();
  }
}
