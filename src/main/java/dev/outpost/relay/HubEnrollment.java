package dev.outpost.relay;

import dev.outpost.crypto.CredentialFiles;
import dev.outpost.crypto.EnrollmentToken;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.PinnedCaTrust;
import dev.outpost.crypto.SecureFiles;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.error.Failures;
import dev.outpost.http.OutboundProxy;
import dev.outpost.http.PinnedJsonPost;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * This appliance's membership of a hub, kept under {@code <data-dir>/hub}: the hub's URL and CA, the
 * resource location, and the client certificate the hub issued when the appliance enrolled with a connector
 * token. Enrollment happens once; later starts only load it. Blocking: use before the event loop starts.
 */
public final class HubEnrollment {

  /** The stored membership. */
  public record Membership(URI hub, String location, String applianceId, String hubCaPem, String certificatePem,
      String keyPem) {

    public PemTrustOptions trust() {
      return new PemTrustOptions().addCertValue(Buffer.buffer(hubCaPem));
    }

    public PemKeyCertOptions clientCertificate() {
      return new PemKeyCertOptions().setCertValue(Buffer.buffer(certificatePem)).setKeyValue(Buffer.buffer(keyPem));
    }
  }

  private HubEnrollment() {
  }

  /**
   * The stored membership, or a new one obtained with {@code token}.
   *
   * @param proxy how to reach the hub
   * @throws IllegalStateException with a message for the user when enrollment is impossible
   */
  public static Membership loadOrEnroll(Path dataDir, URI hub, String token, String applianceName,
      SiteCertificates site, OutboundProxy proxy) throws IOException {
    Path dir = dataDir.resolve("hub");
    Path state = dir.resolve("membership.json");
    if (Files.exists(state)) {
      // a renewal the process did not finish is completed or dropped, so that key and certificate belong together
      credentials(dataDir).recover();
      JsonObject saved = new JsonObject(Files.readString(state, StandardCharsets.UTF_8));
      URI savedHub = URI.create(saved.getString("hub"));
      if (!sameHub(savedHub, hub)) {
        throw new IllegalStateException("hub.url: this node is enrolled with " + savedHub + ", not " + hub
            + "; use that URL, or a fresh --data-dir to enroll with another hub");
      }
      return new Membership(savedHub, saved.getString("location"), saved.getString("applianceId"),
          Files.readString(dir.resolve("hub-ca.crt")), Files.readString(dir.resolve("connector.crt")),
          Files.readString(dir.resolve("connector.key")));
    }
    if (token == null || token.isBlank()) {
      throw new IllegalStateException("hub.token: the first start with --hub needs the connector token from the hub "
          + "(POST /admin/api/v1/locations on the hub); pass it with --hub-token");
    }
    EnrollmentToken parsed = EnrollmentToken.parse(token, EnrollmentToken.CONNECTOR).orElseThrow(() ->
        new IllegalStateException("hub.token: not a connector token (expected " + EnrollmentToken.CONNECTOR
            + ".<fingerprint>.<secret>); copy it again from the hub"));
    return enroll(dir, hub, parsed, applianceName, site, proxy);
  }

  /** The connector's key and certificate under {@code <data-dir>/hub}, replaced together when renewed. */
  public static CredentialFiles credentials(Path dataDir) {
    Path dir = dataDir.resolve("hub");
    return CredentialFiles.of(dir.resolve("connector.key"), dir.resolve("connector.crt"));
  }

  /** Where the hub's CAs are kept, PEM. */
  public static Path hubCa(Path dataDir) {
    return dataDir.resolve("hub").resolve("hub-ca.crt");
  }

  private static Membership enroll(Path dir, URI hub, EnrollmentToken token, String name, SiteCertificates site,
      OutboundProxy proxy) throws IOException {
    KeyPair key = SiteCertificates.newKeyPair();
    String applianceId = java.util.UUID.randomUUID().toString();
    JsonObject request = new JsonObject().put("token", token.text()).put("node", applianceId).put("name", name)
        .put("publicKey", Pem.encode(key.getPublic())).put("siteCaSha256", site.caFingerprint());
    PinnedJsonPost.Answer response = post(hub, PinnedCaTrust.of(token.caFingerprint()), request, proxy);
    JsonObject body = parse(response.body());
    if (response.status() != 201) {
      throw new IllegalStateException("hub.token: the hub refused the enrollment (" + response.status() + " "
          + body.getString("detail", response.body()) + ")");
    }
    String ca = body.getString("ca");
    if (!Fingerprints.sha256(Pem.parseCertificate(ca)).equals(token.caFingerprint())) {
      throw new IllegalStateException("hub.token: the hub answered with a CA that does not match the token");
    }
    SecureFiles.writePrivate(dir.resolve("connector.key"), Pem.encode(key.getPrivate()));
    SecureFiles.writePrivate(dir.resolve("connector.crt"), body.getString("certificate"));
    SecureFiles.writePrivate(dir.resolve("hub-ca.crt"), ca);
    SecureFiles.writePrivate(dir.resolve("membership.json"), new JsonObject().put("hub", hub.toString())
        .put("location", body.getString("location")).put("applianceId", applianceId).encodePrettily());
    return new Membership(hub, body.getString("location"), applianceId, ca, body.getString("certificate"),
        Pem.encode(key.getPrivate()));
  }

  /** The one enrollment call, on a Vert.x of its own: it happens once, at the first start, off any Vert.x thread. */
  private static PinnedJsonPost.Answer post(URI hub, PinnedCaTrust trust, JsonObject request, OutboundProxy proxy) {
    Vertx vertx = Vertx.vertx();
    try {
      return new PinnedJsonPost(vertx, proxy, Duration.ofSeconds(30)).send(hub.resolve("/hub/v1/enroll"), trust,
          request.encode());
    } catch (PinnedJsonPost.ProxyRefusedException e) {
      throw new IllegalStateException("proxy.url: cannot enroll with " + hub + ": " + e.getMessage());
    } catch (IOException e) {
      throw new IllegalStateException("hub.url: cannot enroll with " + hub + ": " + Failures.rootMessage(e));
    } finally {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // only threads of a finished call are left
      }
    }
  }

  private static boolean sameHub(URI a, URI b) {
    return Objects.equals(a.getHost(), b.getHost()) && a.getPort() == b.getPort();
  }

  private static JsonObject parse(String body) {
    try {
      return new JsonObject(body);
    } catch (RuntimeException e) {
      return new JsonObject();
    }
  }

}
