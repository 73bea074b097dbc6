package dev.outpost.hub;

import dev.outpost.hosts.EnrollmentOperations;
import dev.outpost.error.ClientErrorException;
import dev.outpost.hosts.EnrollmentLedger;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.function.Function;

/** The hub's answers to host enrollment requests of its appliances ({@link EnrollmentOperations}). */
public final class HostOperations implements HubOperations {

  private final EnrollmentLedger ledger;

  public HostOperations(EnrollmentLedger ledger) {
    this.ledger = Objects.requireNonNull(ledger);
  }

  @Override
  public Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op) {
    return switch (op) {
      case EnrollmentOperations.ENROLL -> body -> {
        if (!(body.getValue("tokenHash") instanceof String hash) || !(body.getValue("entry") instanceof JsonObject e)) {
          return Future.failedFuture(ClientErrorException.validation("tokenHash and entry are required"));
        }
        return ledger.enroll(hash, EnrollmentLedger.Entry.fromJson(e.put("node", caller.node())));
      };
      case EnrollmentOperations.FIND -> body -> body.getValue("certificateSha256") instanceof String sha
          ? ledger.find(sha) : Future.failedFuture(ClientErrorException.validation("certificateSha256 is required"));
      case EnrollmentOperations.RENEW -> body -> renew(caller, body);
      default -> null;
    };
  }

  private Future<JsonObject> renew(Caller caller, JsonObject body) {
    for (String field : java.util.List.of("hostId", "presentedSha256", "certificateSha256")) {
      if (!(body.getValue(field) instanceof String)) {
        return Future.failedFuture(ClientErrorException.validation(field + " is required"));
      }
    }
    return ledger.renew(EnrollmentLedger.Renewal.fromJson(body.put("node", caller.node()))).map(new JsonObject());
  }
}
