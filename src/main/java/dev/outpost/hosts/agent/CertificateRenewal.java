package dev.outpost.hosts.agent;

import dev.outpost.crypto.CertificateRequests;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.RenewalSchedule;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.hosts.AgentLinkProtocol;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the agent's client certificate over its link before it expires: at the share of its lifetime the appliance
 * names ({@code renewAt}, two thirds by default) with jitter, or at once (spread over a few minutes) when the
 * appliance says its CA is being retired. The agent makes a new key pair, sends a certificate request for it, checks
 * the certificate it gets back, stores key and certificate together and only then uses them for its next link; the
 * link it has stays up, and the old certificate keeps working until it expires. A refused or failed renewal keeps
 * the certificate and is tried again after a tenth of the time it has left. Runs on the link's context.
 */
final class CertificateRenewal {

  private static final Logger LOG = LoggerFactory.getLogger(CertificateRenewal.class);
  /** How long the appliance has to answer a renewal. */
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
  /** Renewals the appliance asks for at once are spread over at most this long, so that hosts do not all come. */
  private static final Duration MAX_SPREAD = Duration.ofMinutes(10);

  /** The link as the renewal uses it. */
  interface Link {
    /** Sends a message if linked; false when not. */
    boolean send(JsonObject message);

    /** The identity the link uses now. */
    AgentIdentity identity();

    /** Uses {@code renewed} from the next link on (its credentials are stored already). */
    void adopt(AgentIdentity renewed);
  }

  /** Where the agent keeps what it renews (blocking work off the event loop). */
  interface Storage {
    /** Writes the identity's CAs, key and certificate; the renewal is used only once this succeeded. */
    Future<Void> credentials(AgentIdentity renewed);

    /** Writes the identity's CAs only. */
    Future<Void> trust(AgentIdentity trusting);
  }

  private record Request(KeyPair key, String csr) {
  }

  private final Vertx vertx;
  private final Link link;
  private final Storage store;
  private final Consumer<String> console;
  private RenewalSchedule schedule = RenewalSchedule.DEFAULT;
  /** The certificate the plan is for, and when it renews; a new certificate gets a new place in the jitter. */
  private String plannedFor;
  private Instant due;
  private long timer = -1;
  private Pending pending;
  private boolean stopped;

  private record Pending(String id, KeyPair key, long timeout) {
  }

  CertificateRenewal(Vertx vertx, Link link, Storage store, Consumer<String> console) {
    this.vertx = Objects.requireNonNull(vertx);
    this.link = Objects.requireNonNull(link);
    this.store = Objects.requireNonNull(store);
    this.console = Objects.requireNonNull(console);
  }

  /** The appliance registered the host: take its renewal point and CAs, and plan (or start) the next renewal. */
  void registered(JsonObject registered) {
    if (registered.getValue("renewAt") instanceof Integer percent && percent >= 1 && percent <= 99) {
      RenewalSchedule asked = schedule.withFraction(percent / 100.0);
      if (!asked.equals(schedule)) {
        schedule = asked;
        plannedFor = null;
      }
    }
    trust(registered);
  }

  /** The appliance names the CAs to trust and whether to renew at once ({@code registered} or {@code trust}). */
  void trust(JsonObject message) {
    if (message.getValue(AgentLinkProtocol.CA) instanceof String ca && !ca.equals(link.identity().caPem())) {
      keepTrust(ca);
    }
    if (Boolean.TRUE.equals(message.getValue("renew")) && pending == null) {
      X509Certificate current = certificate(link.identity());
      Duration spread = spread(current);
      Instant soon = Instant.now().plusMillis(ThreadLocalRandom.current().nextLong(spread.toMillis() + 1));
      // asked again (a new link, say): keep the earlier time rather than drawing a later one
      if (!Fingerprints.sha256(current).equals(plannedFor) || due == null || soon.isBefore(due)) {
        plannedFor = Fingerprints.sha256(current);
        due = soon;
        LOG.info("The appliance asks for a certificate from the site's new CA: renewing within {} s",
            spread.toSeconds());
      }
    }
    plan();
  }

  /** A {@code renewed} or {@code renew-refused} answer. */
  void answered(JsonObject message) {
    Pending waiting = pending;
    if (waiting == null || !waiting.id().equals(message.getValue("id"))) {
      return;
    }
    vertx.cancelTimer(waiting.timeout());
    pending = null;
    if (AgentLinkProtocol.RENEW_REFUSED.equals(message.getValue("type"))) {
      retry("the appliance refused it: " + message.getValue("detail"));
      return;
    }
    AgentIdentity renewed;
    try {
      renewed = renewed(message, waiting.key());
    } catch (IllegalArgumentException e) {
      retry("the appliance's answer is unusable: " + e.getMessage());
      return;
    }
    store.credentials(renewed).onComplete(stored -> {
      if (stopped) {
        return;
      }
      if (stored.failed()) {
        // the old pair is still on disk and still accepted: keep using it rather than one a restart would lose
        retry("cannot store it: " + stored.cause().getMessage());
        return;
      }
      link.adopt(renewed);
      X509Certificate certificate = certificate(renewed);
      console.accept("Renewed the client certificate of host " + renewed.hostId() + ": valid until "
          + certificate.getNotAfter().toInstant());
      plannedFor = null;
      plan();
    });
  }

  /** The link closed: an answer will not come, and the renewal waits for the next link. */
  void unlinked() {
    if (pending != null) {
      vertx.cancelTimer(pending.timeout());
      pending = null;
    }
  }

  void stop() {
    stopped = true;
    unlinked();
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
  }

  /** Sets the timer for the current certificate's renewal (a new place in the jitter for a new certificate). */
  private void plan() {
    if (stopped || pending != null) {
      return;
    }
    X509Certificate current = certificate(link.identity());
    String fingerprint = Fingerprints.sha256(current);
    if (!fingerprint.equals(plannedFor)) {
      plannedFor = fingerprint;
      due = schedule.renewAt(current, ThreadLocalRandom.current());
    }
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    timer = vertx.setTimer(Math.max(1, RenewalSchedule.until(due, Instant.now()).toMillis()), id -> {
      timer = -1;
      start();
    });
  }

  /** Makes a key pair (off the event loop) and asks for a certificate; waits for the next link if there is none. */
  private void start() {
    if (stopped || pending != null) {
      return;
    }
    AgentIdentity identity = link.identity();
    String id = UUID.randomUUID().toString();
    vertx.executeBlocking(() -> {
      KeyPair key = SiteCertificates.newKeyPair();
      return new Request(key, CertificateRequests.pem(key, "CN=" + identity.name()));
    }, false).onSuccess(made -> {
      JsonObject request = AgentLinkProtocol.message(AgentLinkProtocol.RENEW).put("id", id)
          .put("csr", made.csr()).put("holds", Fingerprints.sha256(certificate(identity)));
      if (stopped || pending != null || !link.send(request)) {
        // not linked: registered() plans again when the next link is up, and the time has come by then
        return;
      }
      long timeout = vertx.setTimer(ANSWER_TIMEOUT.toMillis(), t -> {
        if (pending != null && pending.id().equals(id)) {
          pending = null;
          retry("no answer within " + ANSWER_TIMEOUT.toSeconds() + " s");
        }
      });
      pending = new Pending(id, made.key(), timeout);
    });
  }

  private void retry(String reason) {
    X509Certificate current = certificate(link.identity());
    Duration wait = RenewalSchedule.retryAfter(current.getNotAfter().toInstant(), Instant.now());
    LOG.warn("Could not renew the client certificate ({}); trying again in {} s", reason, wait.toSeconds());
    plannedFor = Fingerprints.sha256(current);
    due = Instant.now().plus(wait);
    plan();
  }

  /** The CAs the appliance names, stored (the client certificate unchanged) and used from the next link on. */
  private void keepTrust(String ca) {
    try {
      Pem.parseCertificates(ca);
    } catch (IOException e) {
      LOG.warn("Ignoring the site CAs the appliance sent: {}", e.getMessage());
      return;
    }
    AgentIdentity identity = link.identity();
    AgentIdentity trusting = identity.withCredentials(identity.certificatePem(), identity.keyPem(), ca);
    store.trust(trusting).onSuccess(v -> {
      if (!stopped && link.identity() == identity) {
        link.adopt(trusting);
        console.accept("Trusting the site CAs the appliance named: " + describe(ca));
      }
    }).onFailure(e -> LOG.warn("Cannot store the site CAs the appliance sent: {}", e.getMessage()));
  }

  /** The renewed identity an answer carries, checked: the key asked for, a CA of the site, this host. */
  private AgentIdentity renewed(JsonObject message, KeyPair key) {
    AgentIdentity identity = link.identity();
    if (!(message.getValue("certificate") instanceof String certificatePem)) {
      throw new IllegalArgumentException("no certificate");
    }
    String ca = message.getValue(AgentLinkProtocol.CA) instanceof String sent ? sent : identity.caPem();
    try {
      X509Certificate certificate = Pem.parseCertificate(certificatePem);
      if (!CertificateRequests.sameKey(certificate.getPublicKey(), key.getPublic())) {
        throw new IllegalArgumentException("the certificate is for another key");
      }
      if (!certificate.getSubjectX500Principal().getName().contains("CN=" + identity.hostId())) {
        throw new IllegalArgumentException("the certificate names another host");
      }
      certificate.checkValidity();
      if (!issuedByOneOf(certificate, Pem.parseCertificates(ca))) {
        throw new IllegalArgumentException("the certificate is not from a CA of the site");
      }
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    return identity.withCredentials(certificatePem, Pem.encode(key.getPrivate()), ca);
  }

  private static boolean issuedByOneOf(X509Certificate certificate, List<X509Certificate> cas) {
    for (X509Certificate ca : cas) {
      try {
        certificate.verify(ca.getPublicKey());
        return true;
      } catch (GeneralSecurityException e) {
        // try the next CA
      }
    }
    return false;
  }

  private static Duration spread(X509Certificate certificate) {
    Duration share = Duration.between(certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant())
        .dividedBy(20);
    return share.compareTo(MAX_SPREAD) < 0 ? share : MAX_SPREAD;
  }

  private static X509Certificate certificate(AgentIdentity identity) {
    try {
      return Pem.parseCertificate(identity.certificatePem());
    } catch (IOException e) {
      throw new IllegalStateException("the stored client certificate cannot be read: " + e.getMessage(), e);
    }
  }

  private static String describe(String ca) {
    try {
      return Pem.parseCertificates(ca).stream().map(c -> Fingerprints.display(Fingerprints.sha256(c))).toList()
          .toString();
    } catch (IOException e) {
      return "(unreadable)";
    }
  }
}
