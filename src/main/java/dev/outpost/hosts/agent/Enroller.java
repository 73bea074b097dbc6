package dev.outpost.hosts.agent;

import dev.outpost.crypto.CertificateRequests;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.PinnedCaTrust;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.crypto.EnrollmentToken;
import io.vertx.core.json.JsonObject;
import dev.outpost.http.PinnedJsonPost;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * First run of an agent: makes the host's key pair here, sends only a certificate request with the token, and
 * trusts the appliance only when its chain carries the CA whose fingerprint the token names.
 */
public final class Enroller {

  /** How long one appliance has to answer an enrollment. */
  public static final Duration TIMEOUT = Duration.ofSeconds(15);

  private final EnrollmentToken token;
  private final PinnedJsonPost http;

  /**
   * @param http how to reach the appliances (through the outbound proxy, if any); its timeout applies per
   *     appliance
   */
  public Enroller(EnrollmentToken token, PinnedJsonPost http) {
    this.token = Objects.requireNonNull(token);
    this.http = Objects.requireNonNull(http);
  }

  /** Enrolls with the first appliance that answers; fails with one line saying why none did. */
  public AgentIdentity enroll(List<URI> appliances, String name, String address) {
    KeyPair key = SiteCertificates.newKeyPair();
    String body = new JsonObject().put("token", token.text()).put("name", name).put("address", address)
        .put("csr", CertificateRequests.pem(key, "CN=" + name)).encode();
    List<String> failures = new ArrayList<>();
    for (URI appliance : appliances) {
      PinnedJsonPost.Answer response;
      try {
        response = http.send(appliance.resolve(AgentLinkProtocol.MOUNT + AgentLinkProtocol.ENROLL_PATH),
            PinnedCaTrust.of(token.caFingerprint()), body);
      } catch (IOException e) {
        failures.add(describe(appliance, e));
        continue;
      }
      if (response.status() == 201) {
        return identity(response.body(), key, address, appliances);
      }
      String detail = detail(response.body());
      if (response.status() < 500) {
        // the token or the request is wrong everywhere, not just at this appliance
        throw AgentException.failed("the appliance at " + appliance + " refused the enrollment: "
            + response.status() + " " + detail);
      }
      failures.add(appliance + " answered " + response.status() + " " + detail);
    }
    throw AgentException.failed(failures.size() == 1 ? failures.get(0)
        : "no appliance could enroll this host: " + String.join("; ", failures));
  }

  private AgentIdentity identity(String body, KeyPair key, String address, List<URI> appliances) {
    JsonObject enrolled = new JsonObject(body);
    String ca = enrolled.getString("ca");
    try {
      if (!Fingerprints.sha256(Pem.parseCertificate(ca)).equals(token.caFingerprint())) {
        throw AgentException.failed("the appliance returned a CA that does not match the token's fingerprint");
      }
      Pem.parseCertificate(enrolled.getString("certificate"));
    } catch (IOException e) {
      throw AgentException.failed("the appliance returned an unreadable certificate: " + e.getMessage());
    }
    return new AgentIdentity(enrolled.getString("hostId"), enrolled.getString("name"), address,
        enrolled.getString("pool", ""), appliances.stream().map(URI::toString).toList(),
        enrolled.getString("certificate"), Pem.encode(key.getPrivate()), ca);
  }

  private String describe(URI appliance, IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PinnedCaTrust.CaMismatchException mismatch) {
        return "the appliance at " + appliance + " presents CA sha256 "
            + (mismatch.presented() == null ? "(none)" : Fingerprints.display(mismatch.presented()))
            + ", but the token expects " + Fingerprints.display(token.caFingerprint())
            + "; check --appliance or ask for a token from this site";
      }
    }
    if (e instanceof PinnedJsonPost.ProxyRefusedException) {
      return "cannot reach the appliance at " + appliance + ": " + e.getMessage();
    }
    if (e instanceof ConnectException) {
      return "cannot reach the appliance at " + appliance + ": connection refused or unreachable";
    }
    if (e instanceof HttpTimeoutException) {
      return "cannot reach the appliance at " + appliance + ": no answer within " + TIMEOUT.toSeconds() + " s";
    }
    return "cannot reach the appliance at " + appliance + ": " + rootMessage(e);
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  private static String detail(String body) {
    try {
      String detail = new JsonObject(body).getString("detail");
      return detail == null ? "" : detail;
    } catch (RuntimeException e) {
      return body.length() > 200 ? body.substring(0, 200) : body;
    }
  }
}
