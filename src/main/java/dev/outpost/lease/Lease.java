package dev.outpost.lease;

import dev.outpost.lease.impl.SignedEnvelope;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A connection lease: the site's signed statement that a user, on the device holding a given key, may launch
 * these resources through these appliances until {@link #expiresAt}. The wire form is described in
 * docs/protocols/lease.md (schema version {@link #VERSION}).
 *
 * @param site the issuing site (hex SHA-256 of the hub's CA certificate)
 * @param location the resource location whose appliances honour the lease
 * @param device thumbprint of the device key ({@link dev.outpost.crypto.DeviceKeys#thumbprint})
 * @param groups the user's directory groups (normalised DNs) that grant one of the resources; empty for local users
 * @param hub the hub's rendezvous gateway, or {@code null} when the site has none
 * @param keyId id of the site signing key that signed the lease
 */
public record Lease(String id, String site, String location, User user, Set<String> groups, String device,
    List<Resource> resources, List<Appliance> appliances, HubGateway hub, Instant issuedAt, Instant expiresAt,
    String keyId) {

  public static final int VERSION = 1;
  /** The {@code typ} member, and the context string the signature covers. */
  public static final String TYPE = "outpost-lease";

  /** Who the lease is for. */
  public record User(String id, String name) {
    JsonObject toJson() {
      return new JsonObject().put("id", id).put("name", name);
    }
  }

  /** An entitled resource: id, name, pool name and kind. */
  public record Resource(String id, String name, String pool, String kind) {
    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("name", name).put("pool", pool).put("kind", kind);
    }
  }

  /**
   * One appliance that can launch with the lease: its store URL, raw TLS gateway and WebSocket gateway, and the
   * SHA-256 (hex) of its site CA so that a client can trust it without having signed in there.
   */
  public record Appliance(String url, String tls, String wss, String caSha256) {
    public JsonObject toJson() {
      return new JsonObject().put("url", url).put("tls", tls).put("wss", wss).put("ca", caSha256);
    }

    public static Appliance fromJson(JsonObject json) {
      return new Appliance(text(json, "url"), text(json, "tls"), text(json, "wss"), text(json, "ca"));
    }
  }

  /** The hub's rendezvous gateway and the SHA-256 (hex) of its CA. */
  public record HubGateway(String url, String caSha256) {
    public JsonObject toJson() {
      return new JsonObject().put("url", url).put("ca", caSha256);
    }

    public static HubGateway fromJson(JsonObject json) {
      return new HubGateway(text(json, "url"), text(json, "ca"));
    }
  }

  public Lease {
    Objects.requireNonNull(id);
    Objects.requireNonNull(site);
    Objects.requireNonNull(location);
    Objects.requireNonNull(user);
    groups = Set.copyOf(groups);
    Objects.requireNonNull(device);
    resources = List.copyOf(resources);
    appliances = List.copyOf(appliances);
    Objects.requireNonNull(issuedAt);
    Objects.requireNonNull(expiresAt);
    Objects.requireNonNull(keyId);
  }

  /** The resource with this id or (case-insensitive) name, if the lease names it. */
  public Optional<Resource> resource(String idOrName) {
    return resources.stream().filter(r -> r.id().equals(idOrName)).findFirst()
        .or(() -> resources.stream().filter(r -> r.name().equalsIgnoreCase(idOrName)).findFirst());
  }

  /** The document as signed (member names as in docs/protocols/lease.md). */
  public JsonObject toJson() {
    JsonObject json = new JsonObject()
        .put("v", VERSION)
        .put("typ", TYPE)
        .put("id", id)
        .put("site", site)
        .put("location", location)
        .put("user", user.toJson())
        .put("device", device)
        .put("resources", new JsonArray(resources.stream().map(Resource::toJson).toList()))
        .put("appliances", new JsonArray(appliances.stream().map(Appliance::toJson).toList()))
        .put("iat", issuedAt.toEpochMilli())
        .put("exp", expiresAt.toEpochMilli())
        .put("kid", keyId);
    if (!groups.isEmpty()) {
      json.put("groups", new JsonArray(groups.stream().sorted().toList()));
    }
    if (hub != null) {
      json.put("hub", hub.toJson());
    }
    return json;
  }

  /**
   * Reads a lease document; throws {@link IllegalArgumentException} naming the first member that is missing or of
   * the wrong type. Checks the shape only, not a signature.
   */
  public static Lease fromJson(JsonObject json) {
    if (!(json.getValue("v") instanceof Integer v) || v != VERSION || !TYPE.equals(json.getValue("typ"))) {
      throw new IllegalArgumentException("it is not a version " + VERSION + " lease");
    }
    JsonObject user = object(json, "user");
    List<Resource> resources = objects(json, "resources").stream()
        .map(r -> new Resource(text(r, "id"), text(r, "name"), text(r, "pool"), text(r, "kind"))).toList();
    List<Appliance> appliances = objects(json, "appliances").stream().map(Appliance::fromJson).toList();
    JsonObject hub = json.getValue("hub") == null ? null : object(json, "hub");
    Set<String> groups = json.getValue("groups") == null ? Set.of()
        : Set.copyOf(array(json, "groups").stream().map(g -> {
          if (!(g instanceof String group)) {
            throw new IllegalArgumentException("member 'groups' must hold strings");
          }
          return group;
        }).toList());
    return new Lease(text(json, "id"), text(json, "site"), text(json, "location"),
        new User(text(user, "id"), text(user, "name")), groups, text(json, "device"), resources, appliances,
        hub == null ? null : HubGateway.fromJson(hub), Instant.ofEpochMilli(integer(json, "iat")),
        Instant.ofEpochMilli(integer(json, "exp")), text(json, "kid"));
  }

  /**
   * Reads the document inside a lease token <em>without verifying it</em>: for clients, which keep the lease to
   * present it and only need to know what it offers. Appliances verify with the site's keys instead.
   */
  public static Lease read(String token) {
    return fromJson(SignedEnvelope.open(TYPE, token).payload());
  }

  static String text(JsonObject json, String member) {
    if (!(json.getValue(member) instanceof String value) || value.isEmpty()) {
      throw new IllegalArgumentException("member '" + member + "' must be a non-empty string");
    }
    return value;
  }

  private static long integer(JsonObject json, String member) {
    Object value = json.getValue(member);
    if (!(value instanceof Integer || value instanceof Long)) {
      throw new IllegalArgumentException("member '" + member + "' must be an integer");
    }
    return ((Number) value).longValue();
  }

  private static JsonObject object(JsonObject json, String member) {
    if (!(json.getValue(member) instanceof JsonObject value)) {
      throw new IllegalArgumentException("member '" + member + "' must be an object");
    }
    return value;
  }

  private static JsonArray array(JsonObject json, String member) {
    if (!(json.getValue(member) instanceof JsonArray value)) {
      throw new IllegalArgumentException("member '" + member + "' must be an array");
    }
    return value;
  }

  private static List<JsonObject> objects(JsonObject json, String member) {
    return array(json, member).stream().map(o -> {
      if (!(o instanceof JsonObject value)) {
        throw new IllegalArgumentException("member '" + member + "' must hold objects");
      }
      return value;
    }).toList();
  }
}
