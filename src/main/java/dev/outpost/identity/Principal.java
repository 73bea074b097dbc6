package dev.outpost.identity;

import dev.outpost.wire.SchemaVersion;
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
 * @param device thumbprint of the device key sent at sign-in (what connection leases are bound to), or
 *     {@code null} when the client sent none
 * @param secondFactor how the second factor was checked ({@link #TOTP}, {@link #RECOVERY_CODE},
 *     {@link #REMEMBERED_DEVICE}), or {@code null} when none was asked for
 * @param restriction {@code null} for a full session; {@link #ENROL_SECOND_FACTOR} for one that may only enrol the
 *     second factor its group requires
 * @param token the API token this request was authenticated with (never stored as a session), or {@code null}
 */
public record Principal(String sessionId, String userId, String username, String displayName, Set<Role> roles,
    String csrfToken, Instant createdAt, Instant expiresAt, String signIn, Set<String> directoryGroups,
    String device, String secondFactor, String restriction, TokenGrant token) {

  /** Major schema version of a principal's JSON (kept in the cluster's session map). */
  public static final int SCHEMA = 1;
  public static final String LOCAL = "local";
  public static final String DIRECTORY = "directory";
  public static final String OFFLINE = "offline";
  /** {@link #signIn} of a request authenticated with an API token. */
  public static final String API_TOKEN = "api-token";
  public static final String TOTP = "totp";
  public static final String RECOVERY_CODE = "recovery-code";
  public static final String REMEMBERED_DEVICE = "remembered-device";
  /** The session may only enrol a second factor (its group requires one, and it has none yet). */
  public static final String ENROL_SECOND_FACTOR = "enrol-second-factor";

  /** The API token a principal stands for: its id and name (for the audit log) and its scope. */
  public record TokenGrant(String id, String name, TokenScope scope) {
    public TokenGrant {
      Objects.requireNonNull(id);
      Objects.requireNonNull(name);
      Objects.requireNonNull(scope);
    }
  }

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
    this(sessionId, userId, username, displayName, roles, csrfToken, createdAt, expiresAt, LOCAL, Set.of(), null);
  }

  /** A full session without a second factor. */
  public Principal(String sessionId, String userId, String username, String displayName, Set<Role> roles,
      String csrfToken, Instant createdAt, Instant expiresAt, String signIn, Set<String> directoryGroups,
      String device) {
    this(sessionId, userId, username, displayName, roles, csrfToken, createdAt, expiresAt, signIn, directoryGroups,
        device, null, null, null);
  }

  /** Whether this session may only enrol a second factor. */
  public boolean restricted() {
    return restriction != null;
  }

  public boolean has(Role role) {
    return roles.contains(role);
  }

  public JsonObject toJson() {
    JsonArray roleNames = new JsonArray();
    roles.stream().map(Role::wireName).sorted().forEach(roleNames::add);
    // the major stays 1: the directory, device and second factor fields are optional; a reader that does not know
    // them ignores them (a restricted session is never written under a key an older node looks up: see LoginService)
    JsonObject json = SchemaVersion.stamp(new JsonObject(), SCHEMA)
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
    if (device != null) {
      json.put("device", device);
    }
    if (secondFactor != null) {
      json.put("secondFactor", secondFactor);
    }
    if (restriction != null) {
      json.put("restriction", restriction);
    }
    return json;
  }

  /**
   * Reads a principal as {@link #toJson} writes it.
   *
   * @throws SchemaVersion.UnreadableException for another major schema version
   */
  public static Principal fromJson(JsonObject json) {
    SchemaVersion.require(json, SCHEMA, "session");
    Set<Role> roles = new java.util.HashSet<>();
    for (Object name : json.getJsonArray("roles", new JsonArray())) {
      Role.parse(String.valueOf(name)).ifPresent(roles::add);
    }
    return new Principal(json.getString("sessionId"), json.getString("userId"), json.getString("username"),
        json.getString("displayName", ""), roles, json.getString("csrf"), Instant.parse(json.getString("createdAt")),
        Instant.parse(json.getString("expiresAt")), json.getString("signIn", LOCAL),
        Set.copyOf(json.getJsonArray("directoryGroups", new JsonArray()).stream().map(String::valueOf).toList()),
        json.getString("device"), json.getString("secondFactor"), json.getString("restriction"), null);
  }

  /** The public view of the account, for API responses. */
  public JsonObject userJson() {
    JsonArray roleNames = new JsonArray();
    roles.stream().map(Role::wireName).sorted().forEach(roleNames::add);
    JsonObject user = new JsonObject().put("id", userId).put("username", username).put("displayName", displayName)
        .put("roles", roleNames).put("signIn", signIn);
    if (secondFactor != null) {
      user.put("secondFactor", secondFactor);
    }
    if (restriction != null) {
      user.put("restriction", restriction);
    }
    return user;
  }
}
