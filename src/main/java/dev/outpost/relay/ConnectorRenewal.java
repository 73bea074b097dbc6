package dev.outpost.relay;

import dev.outpost.crypto.CertificateRequests;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.RenewalSchedule;
import dev.outpost.crypto.SecureFiles;
import dev.outpost.crypto.SiteCertificates;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews this appliance's connector certificate (its client certificate at the hub) over the tunnel before it
 * expires: at its renewal point (with jitter) the node makes a new key pair, the hub certifies it for the same
 * appliance ({@link TunnelProtocol#RENEW_CONNECTOR}), the node stores key and certificate together under
 * {@code <data-dir>/hub} and the link uses them from its next connection on. The tunnel open now stays, and the old
 * certificate keeps working until it expires. A failed renewal (the hub away, say) is tried again after a tenth of
 * the time left.
 */
public final class ConnectorRenewal extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(ConnectorRenewal.class);

  private final HubLink link;
  private final Path dataDir;
  private final RenewalSchedule schedule;
  private final Counter renewed;
  private final Counter failed;
  private volatile X509Certificate certificate;
  private long timer = -1;

  private record Request(KeyPair key, String csr) {
  }

  private record Renewed(X509Certificate certificate, String certificatePem, String keyPem, String caPem) {
  }

  /**
   * @param certificatePem the connector certificate the node holds now
   * @param metrics where {@code outpost_certificate_renewals_total{certificate="connector"}} counts
   */
  public ConnectorRenewal(HubLink link, Path dataDir, String certificatePem, RenewalSchedule schedule,
      MeterRegistry metrics) {
    this.link = Objects.requireNonNull(link);
    this.dataDir = Objects.requireNonNull(dataDir);
    this.schedule = Objects.requireNonNull(schedule);
    try {
      this.certificate = Pem.parseCertificate(certificatePem);
    } catch (IOException e) {
      throw new IllegalArgumentException("the connector certificate cannot be read: " + e.getMessage(), e);
    }
    this.renewed = counter(metrics, "renewed");
    this.failed = counter(metrics, "failed");
  }

  private static Counter counter(MeterRegistry metrics, String result) {
    return Counter.builder("outpost.certificate.renewals").tag("certificate", "connector").tag("result", result)
        .description("Certificates this node renewed (agents) or had renewed (connector, node), and renewals refused "
            + "or failed")
        .register(metrics);
  }

  /** The connector certificate the node holds now (safe from any thread). */
  public X509Certificate certificate() {
    return certificate;
  }

  @Override
  public Future<?> start() {
    at(schedule.renewAt(certificate, ThreadLocalRandom.current()));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return Future.succeededFuture();
  }

  private void at(Instant when) {
    timer = vertx.setTimer(Math.max(1, RenewalSchedule.until(when, Instant.now()).toMillis()), id -> {
      timer = -1;
      renew();
    });
  }

  private void renew() {
    vertx.executeBlocking(() -> {
      KeyPair key = SiteCertificates.newKeyPair();
      return new Request(key, CertificateRequests.pem(key, certificate.getSubjectX500Principal().getName()));
    }, false)
        .compose(request -> link.request(TunnelProtocol.RENEW_CONNECTOR, new JsonObject().put("csr", request.csr()))
            .map(answer -> checked(answer, request.key())))
        .compose(this::store)
        .compose(this::use)
        .onSuccess(next -> {
          renewed.increment();
          LOG.info("Renewed the connector certificate: valid until {}", next.getNotAfter().toInstant());
          at(schedule.renewAt(next, ThreadLocalRandom.current()));
        })
        .onFailure(e -> {
          failed.increment();
          Duration wait = RenewalSchedule.retryAfter(certificate.getNotAfter().toInstant(), Instant.now());
          LOG.warn("Could not renew the connector certificate ({}); trying again in {} s", e.getMessage(),
              wait.toSeconds());
          at(Instant.now().plus(wait));
        });
  }

  /** The hub's answer, checked: a certificate for the key asked for, from one of the CAs it names. */
  private Renewed checked(JsonObject answer, KeyPair key) {
    if (!(answer.getValue("certificate") instanceof String certificatePem)
        || !(answer.getValue("ca") instanceof String caPem)) {
      throw new IllegalStateException("the hub's answer lacks the certificate or its CA");
    }
    try {
      X509Certificate issued = Pem.parseCertificate(certificatePem);
      if (!CertificateRequests.sameKey(issued.getPublicKey(), key.getPublic())) {
        throw new IllegalStateException("the hub certified another key");
      }
      issued.checkValidity();
      if (!issuedByOneOf(issued, Pem.parseCertificates(caPem))) {
        throw new IllegalStateException("the certificate is not from a CA the hub names");
      }
      return new Renewed(issued, certificatePem, Pem.encode(key.getPrivate()), caPem);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("the hub's certificate is unusable: " + e.getMessage(), e);
    }
  }

  private Future<Renewed> store(Renewed next) {
    return vertx.executeBlocking(() -> {
      SecureFiles.writePrivate(HubEnrollment.hubCa(dataDir), next.caPem());
      HubEnrollment.credentials(dataDir).replace(next.keyPem(), next.certificatePem());
      return next;
    }, false);
  }

  private Future<X509Certificate> use(Renewed next) {
    certificate = next.certificate();
    return link.useCredentials(new PemKeyCertOptions().setCertValue(Buffer.buffer(next.certificatePem()))
            .setKeyValue(Buffer.buffer(next.keyPem())), new PemTrustOptions().addCertValue(Buffer.buffer(next.caPem())))
        .map(next.certificate());
  }

  private static boolean issuedByOneOf(X509Certificate certificate, List<X509Certificate> cas) {
    for (X509Certificate ca : cas) {
      try {
        certificate.verify(ca.getPublicKey());
        return true;
      } catch (GeneralSecurityException e) {
        // try the next one
      }
    }
    return false;
  }
}
