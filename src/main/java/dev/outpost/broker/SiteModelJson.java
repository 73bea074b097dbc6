package dev.outpost.broker;

import dev.outpost.wire.SchemaVersion;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The wire and disk form of a {@link SiteModel} (schema {@link #VERSION}): what the hub sends appliances to keep
 * as their local host cache. Unknown fields are ignored so that a newer hub can add some.
 */
public final class SiteModelJson {

  public static final int VERSION = 1;

  private SiteModelJson() {
  }

  public static JsonObject toJson(SiteModel model) {
    JsonArray pools = new JsonArray();
    model.pools().values().forEach(p -> pools.add(new JsonObject().put("id", p.id()).put("name", p.name())
        .put("maxSessionsPerHost", p.maxSessionsPerHost()).put("location", p.location())
        .put("recordSessions", p.recordSessions())));
    JsonArray resources = new JsonArray();
    model.resources().values().forEach(r -> resources.add(new JsonObject().put("id", r.id()).put("name", r.name())
        .put("displayName", r.displayName()).put("poolId", r.poolId()).put("kind", r.kind()).put("port", r.port())
        .put("launchHint", r.launchHint()).put("hostLogin", r.hostLogin()).put("category", r.category())));
    return SchemaVersion.stamp(new JsonObject(), VERSION).put("version", model.version()).put("pools", pools)
        .put("resources", resources).put("groupsByUser", sets(model.groupsByUser()))
        .put("usersEntitled", sets(model.usersEntitled())).put("groupsEntitled", sets(model.groupsEntitled()))
        .put("directoryGroupsEntitled", sets(model.directoryGroupsEntitled()));
  }

  /**
   * Reads a site model as {@link #toJson} writes it.
   *
   * @throws SchemaVersion.UnreadableException for another major schema version
   */
  public static SiteModel fromJson(JsonObject json) {
    SchemaVersion.require(json, VERSION, "site model");
    Map<String, SiteModel.Pool> pools = new HashMap<>();
    for (Object o : json.getJsonArray("pools", new JsonArray())) {
      JsonObject p = (JsonObject) o;
      pools.put(p.getString("id"), new SiteModel.Pool(p.getString("id"), p.getString("name"),
          p.getInteger("maxSessionsPerHost", 0), p.getString("location", ""), p.getBoolean("recordSessions", false)));
    }
    Map<String, SiteModel.Resource> resources = new HashMap<>();
    for (Object o : json.getJsonArray("resources", new JsonArray())) {
      JsonObject r = (JsonObject) o;
      resources.put(r.getString("id"), new SiteModel.Resource(r.getString("id"), r.getString("name"),
          r.getString("displayName", ""), r.getString("poolId"), r.getString("kind"), r.getInteger("port", 0),
          r.getString("launchHint", ""), r.getString("hostLogin", ""), r.getString("category", "")));
    }
    return new SiteModel(json.getLong("version", 0L), pools, resources, sets(json.getJsonObject("groupsByUser")),
        sets(json.getJsonObject("usersEntitled")), sets(json.getJsonObject("groupsEntitled")),
        sets(json.getJsonObject("directoryGroupsEntitled")));
  }

  private static JsonObject sets(Map<String, Set<String>> map) {
    JsonObject json = new JsonObject();
    map.forEach((key, values) -> json.put(key, new JsonArray(values.stream().sorted().toList())));
    return json;
  }

  private static Map<String, Set<String>> sets(JsonObject json) {
    Map<String, Set<String>> map = new HashMap<>();
    if (json != null) {
      json.forEach(e -> {
        Set<String> values = new HashSet<>();
        ((JsonArray) e.getValue()).forEach(v -> values.add(String.valueOf(v)));
        map.put(e.getKey(), values);
      });
    }
    return map;
  }
}
