package dev.outpost.hosts.impl;

import dev.outpost.crypto.CertificateRequests;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.hosts.EnrollmentLedger;
import dev.outpost.hosts.impl.LinkSession.EnrolledHost;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews enrolled hosts' client certificates over their links: the agent sends a request for a key pair it made, the
 * site CA certifies it for the same host (subject {@code CN=<hostId>,OU=outpost-agent}) and the enrollment ledger
 * records it, but only while the certificate the agent speaks for is still the host's and the host is not revoked.
 * The certificate it had keeps working until it expires.
 */
public final class AgentCertificates {

  private static final Logger LOG = LoggerFactory.getLogger(AgentCertificates.class);

  private final EnrollmentLedger ledger;
  private final SiteCertificates certificates;
  private final Duration validity;
  private final int renewAtPercent;
  private final String node;
  private Counter renewed;
  private Counter refused;

  /**
   * @param validity how long a renewed certificate is valid
   * @param renewAtPercent when agents renew, in percent of their certificate's lifetime (told to them)
   * @param node this node's id, for audit rows
   */
  public AgentCertificates(EnrollmentLedger ledger, SiteCertificates certificates, Duration validity,
      int renewAtPercent, String node) {
    this.ledger = Objects.requireNonNull(ledger);
    this.certificates = Objects.requireNonNull(certificates);
    this.validity = Objects.requireNonNull(validity);
    this.renewAtPercent = renewAtPercent;
    this.node = Objects.requireNonNull(node);
    bindMetrics(new SimpleMeterRegistry());
  }

  /** Counts renewals as {@code outpost_certificate_renewals_total{certificate="agent",result}}. */
  public AgentCertificates bindMetrics(MeterRegistry registry) {
    renewed = counter(registry, "renewed");
    refused = counter(registry, "refused");
    return this;
  }

  private static Counter counter(MeterRegistry registry, String result) {
    return Counter.builder("outpost.certificate.renewals").tag("certificate", "agent").tag("result", result)
        .description("Certificates this node renewed (agents) or had renewed (connector, node), and renewals refused "
            + "or failed")
        .register(registry);
  }

  /**
   * Issues {@code host} a certificate for the key of {@code csrPem} and records it.
   *
   * @param holds the certificate the agent holds now (the one it linked with, or one this link gave it)
   * @throws ClientErrorException (in the future) when the request is malformed, reuses the old key, or the ledger
   *     refuses
   */
  public Future<X509Certificate> renew(EnrolledHost host, X509Certificate holds, String csrPem, String requestId) {
    PublicKey key;
    try {
      key = PublicKeys.fromCsr(csrPem);
    } catch (ClientErrorException e) {
      return refused(host, e);
    }
    if (CertificateRequests.sameKey(key, holds.getPublicKey())) {
      return refused(host, ClientErrorException.validation("the request is for the key the host holds already; "
          + "make a new key pair"));
    }
    // Bouncy Castle keeps the order as written (DER order): most significant first, as at enrollment
    X509Certificate issued = certificates.issue(new KeyPair(key, null), "OU=" + AgentLinkProtocol.CERTIFICATE_OU
        + ",CN=" + host.id(), List.of(), validity, false);
    return ledger.renew(new EnrollmentLedger.Renewal(host.id(), Fingerprints.sha256(holds),
            Fingerprints.sha256(issued), requestId, node))
        .map(v -> {
          renewed.increment();
          LOG.info("Renewed the certificate of host {} ({}): valid until {}", host.name(), host.id(),
              issued.getNotAfter().toInstant());
          return issued;
        })
        .recover(e -> e instanceof OutpostException o && o.status() < 500 ? refused(host, e)
            : Future.failedFuture(e));
  }

  private Future<X509Certificate> refused(EnrolledHost host, Throwable cause) {
    refused.increment();
    LOG.warn("Refused to renew the certificate of host {} ({}): {}", host.name(), host.id(), cause.getMessage());
    return Future.failedFuture(cause);
  }

  /** The site CAs an agent should trust now, PEM, the issuing one first. */
  public String trustPem() {
    return certificates.trustPem();
  }

  /** Whether {@code certificate} comes from another CA than the one that issues now (a rotation is under way). */
  public boolean fromRetiredCa(X509Certificate certificate) {
    return certificates.issuerOf(certificate).map(ca -> !ca.equals(certificates.caCertificate())).orElse(true);
  }

  /** When agents renew, in percent of their certificate's lifetime. */
  public int renewAtPercent() {
    return renewAtPercent;
  }
}
