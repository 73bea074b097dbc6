package dev.outpost.renewal;

import dev.outpost.cluster.SiteCaExchange;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.RenewalSchedule;
import dev.outpost.crypto.SiteCaRollover;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the site CA across the nodes of a site. An admin starts it on any node: that node makes a new CA,
 * certified by the current one, publishes it in the cluster (sealed) and adopts it; every other running node adopts
 * it as it sees it, and a stopped one at its next start. From then on, for the overlap, both CAs are trusted (agents
 * are told both and asked to renew from the new one), new certificates come from the new CA, and the nodes present
 * chains that clients trusting either CA accept. When the overlap ends, each node drops the old CA
 * ({@link NodeCertificateRenewal}).
 */
public final class SiteCaRotation {

  private static final Logger LOG = LoggerFactory.getLogger(SiteCaRotation.class);
  /** The shortest and longest overlap an admin may ask for. */
  public static final Duration MIN_OVERLAP = Duration.ofMinutes(1);
  public static final Duration MAX_OVERLAP = Duration.ofDays(365);

  private final Vertx vertx;
  private final SiteCertificates certificates;
  private final SiteCaExchange exchange;
  private final String siteName;

  /** @param siteName named in the new CA's subject, with the time it was made */
  public SiteCaRotation(Vertx vertx, SiteCertificates certificates, SiteCaExchange exchange, String siteName) {
    this.vertx = Objects.requireNonNull(vertx);
    this.certificates = Objects.requireNonNull(certificates);
    this.exchange = Objects.requireNonNull(exchange);
    this.siteName = Objects.requireNonNull(siteName);
  }

  /** Adopts the rotations other nodes publish from now on. */
  public SiteCaRotation start() {
    exchange.watch(certificates, rollover -> vertx.executeBlocking(() -> certificates.adopt(rollover), false)
        .onSuccess(adopted -> {
          if (adopted) {
            LOG.info("Adopted the site CA {} that another node rotated to", Fingerprints.display(
                rollover.caFingerprint()));
          }
        })
        .onFailure(e -> LOG.error("Could not adopt the site CA {} that another node rotated to: {}",
            Fingerprints.display(rollover.caFingerprint()), e.getMessage())));
    return this;
  }

  /**
   * Starts a rotation with an overlap of {@code overlap}; answers like {@link #describe()}.
   *
   * @throws ClientErrorException (in the future) 409 while the overlap of an earlier rotation runs, or when another
   *     node rotated at the same time
   */
  public Future<JsonObject> rotate(Duration overlap) {
    if (overlap.compareTo(MIN_OVERLAP) < 0 || overlap.compareTo(MAX_OVERLAP) > 0) {
      return Future.failedFuture(ClientErrorException.validation("the overlap must be from 1m to 365d"));
    }
    return certificates.rotation().<Future<JsonObject>>map(running -> Future.failedFuture(ClientErrorException
        .conflict("the overlap of the last rotation runs until " + running.overlapUntil() + "; rotate again after it")))
        .orElseGet(() -> vertx.executeBlocking(() -> {
          SiteCaRollover rollover = certificates.beginRotation(siteName, overlap);
          try {
            exchange.rotate(certificates, rollover);
          } catch (IllegalStateException e) {
            throw ClientErrorException.conflict(e.getMessage());
          }
          certificates.adopt(rollover);
          return describe();
        }, false));
  }

  /** The site CA that issues, and during an overlap the one it replaces and when it stops being trusted. */
  public JsonObject describe() {
    JsonObject answer = new JsonObject().put("ca", describe(certificates.caCertificate()));
    certificates.rotation().ifPresent(rotation -> answer.put("retired", describe(rotation.retired()))
        .put("overlapUntil", rotation.overlapUntil().toString()));
    return answer;
  }

  private static JsonObject describe(X509Certificate ca) {
    return new JsonObject().put("sha256", Fingerprints.display(Fingerprints.sha256(ca)))
        .put("subject", ca.getSubjectX500Principal().getName())
        .put("notAfter", ca.getNotAfter().toInstant().toString())
        .put("daysLeft", Math.floor(RenewalSchedule.daysLeft(ca, Instant.now()) * 10) / 10);
  }
}
