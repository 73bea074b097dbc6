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
 * @param signIn how the password was checked: {@link #LOCAL}, {@link #DIRECTORY}, or {@link #OFFLINE} (against
 *     the appliance's verifier of a directory user's last good password while the directory was unreachable)
 * @param directoryGroups normalised DNs of a directory user's groups, resolved at sign-in
 */
public record Principal(String sessionId, String userId, String username, String displayName, Set<Role> roles,
    String csrfToken, Instant createdAt, Instant expiresAt, String signIn, Set<String> directoryGroups) {

  public static final String LOCAL = "local";
  public static final String DIRECTORY = "directory";
  public static final String OFFLINE = "offline";

  public Principal {
    Objects.requireNonNull(sessionId);
    Objects.requireNonNull(userId);
    Objects.requireNonNull(username);
    roles = Set.copyOf(roles);
    signIn = signIn == null ? LOCAL : signIn;
    directoryGroups = directoryGroups == null ? Set.of() : Set.copyOf(directoryGroups);
  }

  /** A local account's session. */
  public Principal(String sessionId, String userId, String username, String displayName, Set<Role> roles,
      String csrfToken, Instant createdAt, Instant expiresAt) {
    this(sessionId, userId, username, displayName, roles, csrfToken, createdAt, expiresAt, LOCAL, Set.of());
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  public JsonObject toJson() {
    JsonArray roleNames = new JsonArray();
    roles.stream().map(Role::wireName).sorted().forEach(roleNames::add);
    // v stays 1: the directory fields are optional, and a reader that does not know them ignores them
    JsonObject json = new JsonObject()
        .put("v", 1)
        .put("sessionId", sessionId)
        .put("userId", userId)
        .put("username", username)
        .put("displayName", displayName)
        .put("roles", roleNames)
        .put("csrf", csrfToken)
        .put("createdAt", createdAt.toString())
        .put("expiresAt", expiresAt.toString())
        .put("signIn", signIn);
    if (!directoryGroups.isEmpty()) {
      json.put("directoryGroups", new JsonArray(directoryGroups.stream().sorted().toList()));
    }
    return json;
  }

  public static Principal fromJson(JsonObject json) {
    Set<Role> roles = new java.util.HashSet<>();
    for (Object name : json.getJsonArray("roles", new JsonArray())) {
      Role.parse(String.valueOf(name)).ifPresent(roles::add);
    }
    return new Principal(json.getString("sessionId"), json.getString("userId"), json.getString("username"),
        json.getString("displayName", ""), roles, json.getString("csrf"), Instant.parse(json.getString("createdAt")),
        Instant.parse(json.getString("expiresAt")), json.getString("signIn", LOCAL),
        Set.copyOf(json.getJsonArray("directoryGroups", new JsonArray()).stream().map(String::valueOf).toList()));
  }

  /** The public view of the account, for API responses. */
  public JsonObject userJson() {
    JsonArray roleNames = new JsonArray();
    roles.stream().map(Role::wireName).sorted().forEach(roleNames::add);
    return new JsonObject().put("id", userId).put("username", username).put("displayName", displayName)
        .put("roles", roleNames).put("signIn", signIn);
  }
}
