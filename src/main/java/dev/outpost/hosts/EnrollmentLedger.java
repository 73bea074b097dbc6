package dev.outpost.hosts;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/**
 * Where host enrollments are recorded: the token check, its use count, the host row and the audit row. An
 * all-in-one appliance keeps them in its own database; an appliance that belongs to a separate hub asks the
 * hub, which is the authority on hosts. The certificate is issued by the appliance either way.
 */
public interface EnrollmentLedger {

  /** One enrollment to record. */
  record Entry(String hostId, String name, String address, String certificateSha256, String requestId,
      String node) {

    public Entry {
      Objects.requireNonNull(hostId);
      Objects.requireNonNull(name);
      Objects.requireNonNull(address);
      Objects.requireNonNull(certificateSha256);
    }

    public JsonObject toJson() {
      return new JsonObject().put("hostId", hostId).put("name", name).put("address", address)
          .put("certificateSha256", certificateSha256).put("requestId", requestId).put("node", node);
    }

    public static Entry fromJson(JsonObject json) {
      return new Entry(json.getString("hostId"), json.getString("name"), json.getString("address"),
          json.getString("certificateSha256"), json.getString("requestId", ""), json.getString("node", ""));
    }
  }

  /**
   * One certificate renewal: the host presented the certificate {@code presentedSha256} on its link and was issued
   * {@code certificateSha256}.
   */
  record Renewal(String hostId, String presentedSha256, String certificateSha256, String requestId, String node) {

    public Renewal {
      Objects.requireNonNull(hostId);
      Objects.requireNonNull(presentedSha256);
      Objects.requireNonNull(certificateSha256);
    }

    public JsonObject toJson() {
      return new JsonObject().put("hostId", hostId).put("presentedSha256", presentedSha256)
          .put("certificateSha256", certificateSha256).put("requestId", requestId).put("node", node);
    }

    public static Renewal fromJson(JsonObject json) {
      return new Renewal(json.getString("hostId"), json.getString("presentedSha256"),
          json.getString("certificateSha256"), json.getString("requestId", ""), json.getString("node", ""));
    }
  }

  /**
   * Spends one use of the token whose secret hashes to {@code tokenHash} and records the host; answers
   * {@code {pool, poolId}}. Fails 401/403 (and records nothing) when the token cannot be used.
   */
  Future<JsonObject> enroll(String tokenHash, Entry entry);

  /**
   * The enrolled host holding the certificate with this fingerprint, as {@code {id, name, poolId, address,
   * revoked}}, or an empty object when there is none.
   */
  Future<JsonObject> find(String certificateSha256);

  /**
   * Makes the renewal's new certificate the host's current one, and the presented one its previous, which stays
   * accepted until it expires (an agent that could not store the new one still links; a certificate older than
   * the previous one no longer does). Also records an audit row. Fails 403 (and records nothing) when the presented
   * certificate is neither the host's current nor its previous one, or the host was revoked.
   */
  Future<Void> renew(Renewal renewal);
}
