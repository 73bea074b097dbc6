package dev.outpost.hosts.impl;

import dev.outpost.hosts.EnrollmentLedger;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.crypto.EnrollmentToken;
import dev.outpost.identity.AttemptCounters;
import dev.outpost.identity.InMemoryAttemptCounters;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /agent/v1/enroll}: a host trades an enrollment token and its public key for a client certificate
 * signed by the site CA. The token check, the use count, the host row and the audit row are recorded by the
 * {@link EnrollmentLedger} in one transaction, so a refused or failed enrollment changes nothing. Failed
 * attempts are limited per address, on this node, and counted before the token is checked.
 */
public final class Enrollment {

  private static final Logger LOG = LoggerFactory.getLogger(Enrollment.class);
  private static final Pattern NAME = AgentLinkProtocol.HOST_NAME;
  private static final Pattern ADDRESS = AgentLinkProtocol.HOST_ADDRESS;

  /** A checked request. */
  record Request(EnrollmentToken token, PublicKey key, String name, String address) {
  }

  /** The window over which failed attempts are counted. */
  private static final Duration WINDOW = Duration.ofMinutes(1);

  private final EnrollmentLedger ledger;
  private final SiteCertificates certificates;
  private final Duration validity;
  private final AttemptCounters failures;
  private final int failuresPerMinute;
  private final String node;

  /**
   * @param failuresPerMinute failed attempts one address may make per minute before it gets 429
   * @param node this node's id, for audit rows
   */
  public Enrollment(EnrollmentLedger ledger, SiteCertificates certificates, Duration validity, int failuresPerMinute,
      Clock clock, String node) {
    if (failuresPerMinute < 1) {
      throw new IllegalArgumentException("failuresPerMinute must be at least 1");
    }
    this.ledger = Objects.requireNonNull(ledger);
    this.certificates = Objects.requireNonNull(certificates);
    this.validity = Objects.requireNonNull(validity);
    this.failures = new InMemoryAttemptCounters(clock);
    this.failuresPerMinute = failuresPerMinute;
    this.node = Objects.requireNonNull(node);
  }

  /**
   * Enrolls a host and answers {@code {hostId, certificate, ca, pool, poolId, name}}. The attempt takes a slot of
   * its address's limit before anything is checked, so that parallel guesses cannot all pass the limit; it gives
   * the slot back when it enrolls or fails on this side (no verdict on the token).
   */
  public Future<JsonObject> enroll(JsonObject body, String remoteAddress, String requestId) {
    return failures.reserve(remoteAddress, failuresPerMinute, WINDOW).compose(slot -> {
      if (slot.busy()) {
        // agents retry with back-off: no need to hold the request while other attempts are checked
        return Future.failedFuture(ClientErrorException.tooManyRequests("too many enrollment attempts from "
            + remoteAddress + " are being checked; try again in a few seconds", java.time.Duration.ofSeconds(5)));
      }
      if (!slot.taken()) {
        return Future.failedFuture(ClientErrorException.tooManyRequests("too many failed enrollment attempts from "
            + remoteAddress + "; try again later", slot.retryAfter()));
      }
      return attempt(body, requestId).onComplete(done -> settle(done, remoteAddress, slot.at()));
    });
  }

  private Future<JsonObject> attempt(JsonObject body, String requestId) {
    try {
      return record(check(body), requestId);
    } catch (ClientErrorException e) {
      return Future.failedFuture(e);
    }
  }

  /** A refused attempt's slot counts; an enrollment, or an error on this side, gives it back. */
  private void settle(AsyncResult<JsonObject> done, String remoteAddress, Instant slot) {
    if (done.failed() && done.cause() instanceof OutpostException o && o.status() < 500) {
      LOG.info("Refused an enrollment from {}: {}", remoteAddress, o.detail());
      failures.settle(remoteAddress, slot, WINDOW);
    } else {
      failures.release(remoteAddress, slot, WINDOW);
    }
  }

  Request check(JsonObject body) {
    EnrollmentToken token = EnrollmentToken.parse(text(body, "token"), EnrollmentToken.AGENT)
        .orElseThrow(() -> ClientErrorException.unauthorized("not an Outpost enrollment token (expected "
            + EnrollmentToken.AGENT + ".<ca-sha256>.<secret>); create one with POST /admin/api/v1/enroll-tokens"));
    // during a site CA rotation's overlap a token made before it (naming the old CA) is still good
    if (!certificates.trusts(token.caFingerprint())) {
      throw ClientErrorException.unauthorized("the token was issued by another site: its CA fingerprint "
          + Fingerprints.display(token.caFingerprint()) + " is not this site's");
    }
    String name = text(body, "name");
    if (!NAME.matcher(name).matches()) {
      throw ClientErrorException.validation("field 'name' must match " + NAME.pattern());
    }
    String address = text(body, "address");
    if (!ADDRESS.matcher(address).matches()) {
      throw ClientErrorException.validation("field 'address' must be an IP address or DNS name");
    }
    Object csr = body.getValue("csr");
    Object publicKey = body.getValue("publicKey");
    if ((csr == null) == (publicKey == null)) {
      throw ClientErrorException.validation("send exactly one of 'csr' (PEM PKCS#10) and 'publicKey' (PEM)");
    }
    PublicKey key = csr != null ? PublicKeys.fromCsr(text(body, "csr")) : PublicKeys.fromPem(text(body, "publicKey"));
    return new Request(token, key, name, address);
  }

  private static String text(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ClientErrorException.validation("field '" + field + "' is required");
    }
    if (!(value instanceof String text)) {
      throw ClientErrorException.validation("field '" + field + "' must be a string");
    }
    return text.strip();
  }

  /**
   * The site CAs the new agent trusts, PEM, the one its token names first: agents check that one against the token,
   * and older agents read only the first.
   */
  private String trustFor(EnrollmentToken token) {
    List<X509Certificate> trusted = certificates.trustedCas();
    StringBuilder pem = new StringBuilder();
    trusted.stream().filter(ca -> Fingerprints.sha256(ca).equals(token.caFingerprint())).forEach(ca -> pem.append(
        Pem.encode(ca)));
    trusted.stream().filter(ca -> !Fingerprints.sha256(ca).equals(token.caFingerprint())).forEach(ca -> pem.append(
        Pem.encode(ca)));
    return pem.toString();
  }

  private Future<JsonObject> record(Request request, String requestId) {
    String hostId = UUID.randomUUID().toString();
    // Bouncy Castle keeps the order as written (DER order): most significant first, so Java shows CN=...,OU=...
    X509Certificate certificate = certificates.issue(new KeyPair(request.key(), null),
        "OU=" + AgentLinkProtocol.CERTIFICATE_OU + ",CN=" + hostId, List.of(), validity, false);
    String fingerprint = Fingerprints.sha256(certificate);
    return ledger.enroll(request.token().secretHash(), new EnrollmentLedger.Entry(hostId, request.name(),
            request.address(), fingerprint, requestId, node))
        .map(recorded -> {
          LOG.info("Enrolled host {} ({}) into pool {}", request.name(), hostId, recorded.getString("pool"));
          return new JsonObject().put("hostId", hostId).put("name", request.name())
              .put("pool", recorded.getString("pool")).put("poolId", recorded.getString("poolId"))
              .put("certificate", Pem.encode(certificate)).put("ca", trustFor(request.token()));
        });
  }
}
