package dev.outpost.lease;

import dev.outpost.wire.SchemaVersion;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;

/**
 * An admin's (or a signing-out user's) word that leases must no longer launch: every lease of a user, or bound to
 * a device key, issued before {@link #revokedAt}; or one lease by id.
 *
 * @param subject the user id, device key thumbprint or lease id, after {@link #kind}
 * @param userId for a device revocation, the one user whose leases on that device it voids ({@code null}: any)
 */
public record Revocation(String id, Kind kind, String subject, String userId, Instant revokedAt, String reason,
    String createdBy) {

  /** What a revocation names. */
  public enum Kind {
    USER, DEVICE, LEASE;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Kind parse(String text) {
      return valueOf(text.toUpperCase(Locale.ROOT));
    }
  }

  public Revocation {
    Objects.requireNonNull(id);
    Objects.requireNonNull(kind);
    Objects.requireNonNull(subject);
    Objects.requireNonNull(revokedAt);
    reason = reason == null ? "" : reason;
    createdBy = createdBy == null ? "" : createdBy;
  }

  /** A new revocation with a fresh id. */
  public static Revocation of(Kind kind, String subject, String userId, Instant at, String reason, String by) {
    return new Revocation(UUID.randomUUID().toString(), kind, subject, userId, at, reason, by);
  }

  /** Whether this revocation voids {@code lease}. */
  public boolean voids(Lease lease) {
    return switch (kind) {
      case LEASE -> subject.equals(lease.id());
      case USER -> subject.equals(lease.user().id()) && lease.issuedAt().isBefore(revokedAt);
      case DEVICE -> subject.equals(lease.device()) && (userId == null || userId.equals(lease.user().id()))
          && lease.issuedAt().isBefore(revokedAt);
    };
  }

  /**
   * One line for the 403 a revoked lease gets. The user reads it (the client prints it), so it speaks to them and
   * says what to do; the reason is the admin's, or the account change's ({@code password changed}).
   */
  public String describe() {
    String what = switch (kind) {
      case LEASE -> "this connection lease was revoked";
      case USER -> "your connection leases issued before " + revokedAt + " were revoked";
      case DEVICE -> "the connection leases of this device issued before " + revokedAt + " were revoked";
    };
    return what + (reason.isEmpty() ? "" : " (" + reason + ")") + "; sign in again to get a new one";
  }

  /**
   * Major schema version of a revocation's JSON (cluster map, disk, hub tunnel). A revocation of another major is
   * refused loudly rather than skipped: skipping it would let a revoked lease through.
   */
  public static final int SCHEMA = 1;

  public JsonObject toJson() {
    return SchemaVersion.stamp(new JsonObject(), SCHEMA).put("id", id).put("kind", kind.wireName())
        .put("subject", subject).put("userId", userId)
        .put("revokedAt", revokedAt.toString()).put("reason", reason).put("createdBy", createdBy);
  }

  public static Revocation fromJson(JsonObject json) {
    SchemaVersion.require(json, SCHEMA, "lease revocation");
    return new Revocation(json.getString("id"), Kind.parse(json.getString("kind")), json.getString("subject"),
        json.getString("userId"), Instant.parse(json.getString("revokedAt")), json.getString("reason", ""),
        json.getString("createdBy", ""));
  }
}
