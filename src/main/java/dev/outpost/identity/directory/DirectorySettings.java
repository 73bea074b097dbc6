package dev.outpost.identity.directory;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;

/**
 * One directory as an appliance uses it: where it is, how to reach it safely, the service account it binds
 * with, and where users and groups are. Fields left empty by the admin already carry the kind's defaults.
 * The bind secret is in clear here (it lives in memory only): {@link #toString()} never shows it, and the
 * wire form travels only over the hub's mutually authenticated tunnel.
 *
 * @param tls {@code starttls}, {@code ldaps} or {@code none}
 * @param caCertificate PEM of the only CA trusted for the directory's certificate, or {@code null} for the JVM's
 * @param groupMembership {@code memberOf} (attribute on the user), {@code member} or {@code uniqueMember}
 *     (attribute on the group)
 */
public record DirectorySettings(String id, String name, String location, DirectoryKind kind, List<String> urls,
    String tls, String caCertificate, String bindDn, String bindSecret, String userBase, String userFilter,
    List<String> loginAttributes, String displayNameAttribute, String groupBase, String groupFilter,
    String groupMembership, boolean nestedGroups, int priority, boolean enabled) {

  public static final String TLS_STARTTLS = "starttls";
  public static final String TLS_LDAPS = "ldaps";
  public static final String TLS_NONE = "none";

  public DirectorySettings {
    Objects.requireNonNull(id);
    Objects.requireNonNull(name);
    Objects.requireNonNull(kind);
    urls = List.copyOf(urls);
    loginAttributes = List.copyOf(loginAttributes);
  }

  /** The wire form for the hub's tunnel (schema 1), secret included. */
  public JsonObject toWireJson() {
    return new JsonObject().put("v", 1).put("id", id).put("name", name).put("location", location)
        .put("kind", kind.wireName()).put("urls", new JsonArray(urls)).put("tls", tls)
        .put("caCertificate", caCertificate).put("bindDn", bindDn).put("bindSecret", bindSecret)
        .put("userBase", userBase).put("userFilter", userFilter).put("loginAttributes", new JsonArray(loginAttributes))
        .put("displayNameAttribute", displayNameAttribute).put("groupBase", groupBase)
        .put("groupFilter", groupFilter).put("groupMembership", groupMembership).put("nestedGroups", nestedGroups)
        .put("priority", priority).put("enabled", enabled);
  }

  public static DirectorySettings fromWireJson(JsonObject json) {
    return new DirectorySettings(json.getString("id"), json.getString("name"), json.getString("location"),
        DirectoryKind.parse(json.getString("kind")).orElse(DirectoryKind.OPENLDAP), strings(json, "urls"),
        json.getString("tls", TLS_STARTTLS), json.getString("caCertificate"), json.getString("bindDn"),
        json.getString("bindSecret"), json.getString("userBase"), json.getString("userFilter"),
        strings(json, "loginAttributes"), json.getString("displayNameAttribute"), json.getString("groupBase"),
        json.getString("groupFilter"), json.getString("groupMembership"), json.getBoolean("nestedGroups", true),
        json.getInteger("priority", 100), json.getBoolean("enabled", true));
  }

  private static List<String> strings(JsonObject json, String field) {
    JsonArray array = json.getJsonArray(field, new JsonArray());
    return array.stream().map(String::valueOf).toList();
  }

  @Override
  public String toString() {
    return "directory " + name + " (" + id + ", " + kind.wireName() + ", " + String.join(" ", urls) + ", bind "
        + bindDn + ")";
  }
}
