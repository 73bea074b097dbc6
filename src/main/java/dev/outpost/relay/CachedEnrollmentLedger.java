package dev.outpost.relay;

import dev.outpost.cluster.SealedMap;
import dev.outpost.error.ServerErrorException;
import dev.outpost.hosts.EnrollmentLedger;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Host enrollments recorded at the hub, with the location's own copy of what an agent's link needs (host id, name,
 * pool, address, revoked, by certificate fingerprint) in a cluster map with a backup on another node. Every answer
 * the hub gives is copied there; while the hub cannot be reached, or does not answer a lookup, links are verified
 * from the copy, so that an agent whose appliance died during a hub outage links to any other node. It fails closed:
 * a certificate the copy does not know is refused with 503 (the agent tries again, it is not told to re-enroll),
 * a revoked host stays refused.
 */
public final class CachedEnrollmentLedger implements EnrollmentLedger {

  /** The cluster map of enrolled hosts by certificate fingerprint (sealed values: they let a host in). */
  public static final String MAP_NAME = "outpost.lhc.enrolled-hosts";
  private static final Logger LOG = LoggerFactory.getLogger(CachedEnrollmentLedger.class);

  private final Vertx vertx;
  private final HubChannel hub;
  private final EnrollmentLedger atHub;
  private final BooleanSupplier brokeringLocally;
  private final SealedMap copy;

  /**
   * @param atHub the hub's ledger, reached over {@code hub}
   * @param brokeringLocally whether the node brokers from its local host cache now (the hub has not answered for
   *     the outage threshold, though the tunnel may not tell yet)
   * @param copy the location's copy, a map of the cluster ({@link #MAP_NAME})
   */
  public CachedEnrollmentLedger(Vertx vertx, HubChannel hub, EnrollmentLedger atHub, BooleanSupplier brokeringLocally,
      SealedMap copy) {
    this.vertx = Objects.requireNonNull(vertx);
    this.hub = Objects.requireNonNull(hub);
    this.atHub = Objects.requireNonNull(atHub);
    this.brokeringLocally = Objects.requireNonNull(brokeringLocally);
    this.copy = Objects.requireNonNull(copy);
  }

  /** The hub's ledger over {@code hub}, with the location's copy in {@code copy}. */
  public static CachedEnrollmentLedger overHub(Vertx vertx, HubChannel hub, BooleanSupplier brokeringLocally,
      SealedMap copy) {
    return new CachedEnrollmentLedger(vertx, hub, new RelayedEnrollmentLedger(hub), brokeringLocally, copy);
  }

  @Override
  public Future<JsonObject> enroll(String tokenHash, Entry entry) {
    return atHub.enroll(tokenHash, entry).compose(answer -> remember(entry.certificateSha256(), new JsonObject()
        .put("id", entry.hostId()).put("name", entry.name()).put("poolId", answer.getString("poolId"))
        .put("address", entry.address()).put("revoked", false)).map(answer));
  }

  /** The hub's answer while it answers (kept in the copy); the copy's when the hub cannot be reached. */
  @Override
  public Future<JsonObject> find(String certificateSha256) {
    if (!hub.reachable() || brokeringLocally.getAsBoolean()) {
      return fromCopy(certificateSha256, "the hub cannot be reached");
    }
    return atHub.find(certificateSha256)
        .compose(row -> (row.getString("id") == null ? forget(certificateSha256)
            : remember(certificateSha256, row)).map(row))
        .recover(e -> e instanceof ServerErrorException ? fromCopy(certificateSha256, e.getMessage())
            : Future.failedFuture(e));
  }

  /** Renewed at the hub; the new certificate then speaks for the host in the copy too, beside the presented one. */
  @Override
  public Future<Void> renew(Renewal renewal) {
    return atHub.renew(renewal)
        .compose(v -> local(copy.getAsync(renewal.presentedSha256())))
        .compose(presented -> presented == null ? Future.succeededFuture()
            : remember(renewal.certificateSha256(), new JsonObject(presented)));
  }

  private Future<JsonObject> fromCopy(String certificateSha256, String why) {
    return local(copy.getAsync(certificateSha256))
        .recover(e -> Future.failedFuture(ServerErrorException.unavailable(why + ", and this location's copy of "
            + "the enrolled hosts cannot be read either (" + e.getMessage() + "); try again", e)))
        .compose(found -> {
          if (found == null) {
            return Future.failedFuture(ServerErrorException.unavailable(why + ", and this location has no record "
                + "of the host holding this certificate: it links once the hub answers again; try again"));
          }
          LOG.debug("Verified a host link from the location's copy of the enrolled hosts ({})", why);
          return Future.succeededFuture(new JsonObject(found));
        });
  }

  /** Copies a host the hub answered for; a copy that cannot be written is logged, the link goes on. */
  private Future<Void> remember(String certificateSha256, JsonObject row) {
    JsonObject kept = new JsonObject().put("id", row.getString("id")).put("name", row.getString("name"))
        .put("poolId", row.getString("poolId")).put("address", row.getString("address"))
        .put("revoked", row.getBoolean("revoked", false));
    return local(copy.setAsync(certificateSha256, kept.encode()))
        .recover(e -> {
          LOG.warn("Could not keep host {} in this location's copy of the enrolled hosts: {}", row.getString("id"),
              e.getMessage());
          return Future.succeededFuture();
        });
  }

  /** The hub knows no host with this certificate (any more): neither does the copy. */
  private Future<Void> forget(String certificateSha256) {
    return local(copy.removeAsync(certificateSha256)).<Void>mapEmpty()
        .recover(e -> {
          LOG.warn("Could not remove a certificate from this location's copy of the enrolled hosts: {}",
              e.getMessage());
          return Future.succeededFuture();
        });
  }

  /** A cluster operation's result, completed on the caller's context. */
  private <T> Future<T> local(CompletionStage<T> stage) {
    return Future.fromCompletionStage(stage, vertx.getOrCreateContext());
  }
}
