package dev.outpost.identity;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A signed-in account as stored in the cluster-wide session map.
 *
 * @param sessionId hash of the bearer token; never the token itself
 * @param csrfToken the value cookie-authenticated state changes must echo in {@code X-CSRF-Token}
 */
public record Principal(String sessionId, String userId, String username, String displayName, Set<Role> roles,
    String csrfToken, Instant createdAt, Instant expiresAt) {

  public Principal {
    Objects.requireNonNull(sessionId);
    Objects.requireNonNull(userId);
    Objects.requireNonNull(username);
    roles = Set.copyOf(roles);
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  public JsonObject toJson() {
    JsonArray roleNames = new JsonArray();
    roles.stream().map(Role::wireName).sorted().forEach(roleNames::add);
    return new JsonObject()
        .put("v", 1)
        .put("sessionId", sessionId)
        .put("userId", userId)
        .put("username", username)
        .put("displayName", displayName)
        .put("roles", roleNames)
        .put("csrf", csrfToken)
        .put("createdAt", createdAt.toString())
        .put("expiresAt", expiresAt.toString());
  }

  public static Principal fromJson(JsonObject json) {
    Set<Role> roles = new java.util.HashSet<>();
    for (Object name : json.getJsonArray("roles", new JsonArray())) {
      Role.parse(String.valueOf(name)).ifPresent(roles::add);
    }
    return new Principal(json.getString("sessionId"), json.getString("userId"), json.getString("username"),
        json.getString("displayName", ""), roles, json.getString("csrf"), Instant.parse(json.getString("createdAt")),
        Instant.parse(json.getString("expiresAt")));
  }

  /** The public view of the account, for API responses. */
  public JsonObject userJson() {
    JsonArray roleNames = new JsonArray();
    roles.stream().map(Role::wireName).sorted().forEach(roleNames::add);
    return new JsonObject().put("id", userId).put("username", username).put("displayName", displayName)
        .put("roles", roleNames);
  }
}
