package dev.outpost.lease.impl;

import dev.outpost.wire.SchemaVersion;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.lease.Lease;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * One user's request for a lease on one device, as it waits in the issuing queue and travels to the hub.
 *
 * @param key the queue key: user id and device thumbprint
 * @param hub the hub's rendezvous gateway, or {@code null}
 */
public record IssueRequest(String key, UserRef user, String device, List<Lease.Appliance> appliances,
    Lease.HubGateway hub) {

  public IssueRequest {
    Objects.requireNonNull(key);
    Objects.requireNonNull(user);
    Objects.requireNonNull(device);
    appliances = List.copyOf(appliances);
  }

  /** The queue key of a user's lease on a device. */
  public static String key(String userId, String device) {
    return userId + "|" + device;
  }

  /** Major schema version of a queued request's JSON (cluster queue and map). */
  public static final int SCHEMA = 1;

  public JsonObject toJson() {
    JsonObject json = SchemaVersion.stamp(new JsonObject(), SCHEMA).put("key", key).put("user", user.toJson())
        .put("device", device)
        .put("appliances", new JsonArray(appliances.stream().map(Lease.Appliance::toJson).toList()));
    if (hub != null) {
      json.put("hub", hub.toJson());
    }
    return json;
  }

  public static IssueRequest fromJson(JsonObject json) {
    SchemaVersion.require(json, SCHEMA, "lease issue request");
    JsonObject hub = json.getJsonObject("hub");
    return new IssueRequest(json.getString("key"), UserRef.fromJson(json.getJsonObject("user")),
        json.getString("device"), json.getJsonArray("appliances", new JsonArray()).stream()
            .map(o -> Lease.Appliance.fromJson((JsonObject) o)).toList(),
        hub == null ? null : Lease.HubGateway.fromJson(hub));
  }
}
