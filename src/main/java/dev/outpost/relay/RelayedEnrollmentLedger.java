package dev.outpost.relay;

import dev.outpost.hosts.EnrollmentLedger;
import dev.outpost.hosts.EnrollmentOperations;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/** Host enrollments recorded at the hub, for an appliance that belongs to one. */
public final class RelayedEnrollmentLedger implements EnrollmentLedger {

  private final HubChannel hub;

  public RelayedEnrollmentLedger(HubChannel hub) {
    this.hub = Objects.requireNonNull(hub);
  }

  @Override
  public Future<JsonObject> enroll(String tokenHash, Entry entry) {
    return hub.request(EnrollmentOperations.ENROLL,
        new JsonObject().put("tokenHash", tokenHash).put("entry", entry.toJson()));
  }

  @Override
  public Future<JsonObject> find(String certificateSha256) {
    return hub.request(EnrollmentOperations.FIND, new JsonObject().put("certificateSha256", certificateSha256));
  }

  @Override
  public Future<Void> renew(Renewal renewal) {
    return hub.request(EnrollmentOperations.RENEW, renewal.toJson()).mapEmpty();
  }
}
