package dev.outpost.renewal;

import dev.outpost.crypto.RenewalSchedule;
import dev.outpost.crypto.SiteCertificates;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the node's own TLS certificate current while it runs: at its renewal point (by
 * {@link SiteCertificates.NodeTerms}, with jitter) the site CA issues it a new one, which is stored in
 * {@code tls/} and which the listeners take at once (the node's {@link SiteCertificates#onChange} listeners reload
 * them); and when a site CA rotation's overlap ends, the old CA stops being trusted. A failed renewal is tried again
 * after a tenth of the time left. The blocking work (signing, files) runs on a worker.
 */
public final class NodeCertificateRenewal extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(NodeCertificateRenewal.class);

  private final SiteCertificates certificates;
  private final Counter renewed;
  private final Counter failed;
  private long renewalTimer = -1;
  private long overlapTimer = -1;

  /** @param metrics where {@code outpost_certificate_renewals_total{certificate="node"}} counts */
  public NodeCertificateRenewal(SiteCertificates certificates, MeterRegistry metrics) {
    this.certificates = Objects.requireNonNull(certificates);
    this.renewed = counter(metrics, "renewed");
    this.failed = counter(metrics, "failed");
  }

  private static Counter counter(MeterRegistry metrics, String result) {
    return Counter.builder("outpost.certificate.renewals").tag("certificate", "node").tag("result", result)
        .description("Certificates this node renewed (agents) or had renewed (connector, node), and renewals refused "
            + "or failed")
        .register(metrics);
  }

  @Override
  public Future<?> start() {
    io.vertx.core.Context context = vertx.getOrCreateContext();
    // a rotation adopted from another node brings a new node certificate and perhaps an overlap: plan both anew
    certificates.onChange(change -> context.runOnContext(v -> plan()));
    plan();
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    cancel();
    return Future.succeededFuture();
  }

  private void plan() {
    cancel();
    X509Certificate node = certificates.nodeCertificate();
    Instant due = certificates.terms().renewal().renewAt(node, ThreadLocalRandom.current());
    renewalTimer = at(due, this::renew);
    certificates.rotation().ifPresent(rotation -> overlapTimer = at(rotation.overlapUntil(), this::endOverlap));
  }

  private long at(Instant when, Runnable action) {
    return vertx.setTimer(Math.max(1, RenewalSchedule.until(when, Instant.now()).toMillis()), id -> action.run());
  }

  private void cancel() {
    if (renewalTimer >= 0) {
      vertx.cancelTimer(renewalTimer);
      renewalTimer = -1;
    }
    if (overlapTimer >= 0) {
      vertx.cancelTimer(overlapTimer);
      overlapTimer = -1;
    }
  }

  private void renew() {
    renewalTimer = -1;
    vertx.executeBlocking(certificates::renewNode, false)
        .onSuccess(certificate -> renewed.increment())
        .onFailure(e -> {
          failed.increment();
          Duration wait = RenewalSchedule.retryAfter(certificates.nodeCertificate().getNotAfter().toInstant(),
              Instant.now());
          LOG.error("Could not renew the node certificate ({}); trying again in {} s", e.getMessage(),
              wait.toSeconds());
          renewalTimer = at(Instant.now().plus(wait), this::renew);
        });
  }

  private void endOverlap() {
    overlapTimer = -1;
    vertx.executeBlocking(() -> certificates.endOverlapIfDue(Instant.now()), false)
        .onFailure(e -> LOG.warn("Could not end the site CA rotation's overlap: {}", e.getMessage()));
  }
}
