package dev.outpost.renewal;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.hosts.agent.AgentIdentity;
import dev.outpost.hosts.agent.AgentRunner;
import dev.outpost.http.OutboundProxy;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site CA rotation on a site of two nodes with a linked agent: both nodes take the new CA, clients that trust only
 * the old one keep working through the overlap, the agent is told and renews from the new CA without dropping its
 * link, an enrollment token made before still enrolls; once the overlap ends, only the new CA counts.
 */
class SiteCaRotationAcceptanceTest {

  private static final Duration WAIT = Duration.ofMinutes(3);
  private static final String SECRET = "rotation-secret-0123456789";

  @TempDir
  static Path tmp;
  static TestSite first;
  static TestSite second;
  static Vertx agents;
  static Path agentDir;
  static String admin;

  @BeforeAll
  static void start() throws Exception {
    // GIVEN a site of two nodes, and on the first one an enrolled agent, linked, whose certificate lives 3 minutes
    String name = "rotation-" + System.nanoTime();
    int firstPort = FreePorts.next();
    first = TestSite.start(tmp.resolve("a"), settings(TestSite.clusterSettings(name, SECRET, firstPort, null)));
    second = TestSite.start(tmp.resolve("b"), settings(TestSite.clusterSettings(name, SECRET, FreePorts.next(),
        firstPort)));
    admin = first.adminToken();
    created(first.client().post("/admin/api/v1/pools", admin, "{\"name\":\"desks\",\"maxSessionsPerHost\":2}"));
    agents = Vertx.vertx();
    agentDir = tmp.resolve("agent");
    runAgent(agentDir, created(first.client().post("/admin/api/v1/enroll-tokens", admin,
        "{\"pool\":\"desks\",\"uses\":1}")).getString("token"), "desk-1");
    Poll.until("the agent linked", WAIT, () -> linked(first).size() == 1);
  }

  private static Map<String, String> settings(Map<String, String> cluster) {
    Map<String, String> settings = new HashMap<>(cluster);
    settings.put("tls.agent-certificate-validity", "3m");
    return settings;
  }

  @AfterAll
  static void stop() throws Exception {
    if (agents != null) {
      await(agents.close());
    }
    if (second != null) {
      second.close();
    }
    if (first != null) {
      first.close();
    }
  }

  @Test
  void bothCasAreTrustedThroughTheOverlapAndOnlyTheNewOneAfter() throws Exception {
    // GIVEN a client that trusts only the site CA as it is, a token made now, and the agent's link
    Path oldCaFile = tmp.resolve("old-ca.crt");
    Files.copy(first.dataDir().resolve("tls/ca.crt"), oldCaFile);
    X509Certificate oldCa = Pem.readCertificate(oldCaFile);
    String earlyToken = created(first.client().post("/admin/api/v1/enroll-tokens", admin,
        "{\"pool\":\"desks\",\"uses\":1}")).getString("token");
    Map<String, String> since = linked(first);

    // WHEN an admin rotates the site CA on the first node with an overlap of 90 s
    Response rotated = first.client().post("/admin/api/v1/site-ca/rotation", admin, "{\"overlap\":\"90s\"}");

    // THEN the answer names the new CA and the old one with the overlap's end, and a second rotation must wait
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(201);
    String newSha = rotated.json().getJsonObject("ca").getString("sha256");
    assertThat(rotated.json().getJsonObject("retired").getString("sha256"))
        .isEqualTo(Fingerprints.display(Fingerprints.sha256(oldCa)));
    assertThat(rotated.json().getString("overlapUntil")).isNotNull();
    assertThat(first.client().post("/admin/api/v1/site-ca/rotation", admin, null).status()).isEqualTo(409);
    // AND both nodes issue from the new CA and present it, yet a client trusting the old CA still reaches both
    Poll.until("the second node adopts the new CA", WAIT, () -> newSha.equals(siteCa(second, oldCaFile)));
    X509Certificate newCa = Pem.readCertificate(first.dataDir().resolve("tls/ca.crt"));
    assertThat(Fingerprints.display(Fingerprints.sha256(newCa))).isEqualTo(newSha);
    for (TestSite node : List.of(first, second)) {
      // the listeners take the new certificate moments after the node adopted the CA
      Poll.until("the node presents a certificate of the new CA", WAIT, () -> issuedBy(presented(oldCaFile,
          node.httpsPort()), newCa));
      assertThat(new SiteClient(oldCaFile, node.httpsPort()).get("/health/live", null).status()).isEqualTo(200);
      assertThat(node.client().metric("outpost_certificate_expiry_days{certificate=\"site-ca-retired\"}"))
          .isPositive();
    }
    // AND the agent is told both CAs and renews from the new one over the link it has
    Poll.until("the agent trusts both CAs", WAIT, () -> cas(agentDir).size() == 2);
    assertThat(cas(agentDir)).containsExactly(newCa, oldCa);
    Poll.until("the agent renews from the new CA", WAIT, () -> issuedBy(agentCertificate(agentDir), newCa));
    assertThat(linked(first)).isEqualTo(since);
    // AND a token made before the rotation still enrolls a host, which trusts both; new tokens name the new CA
    runAgent(tmp.resolve("agent-early"), earlyToken, "desk-2");
    Poll.until("the early-token host linked", WAIT, () -> linked(first).size() == 2);
    assertThat(cas(tmp.resolve("agent-early"))).containsExactlyInAnyOrder(oldCa, newCa);
    String lateToken = created(first.client().post("/admin/api/v1/enroll-tokens", admin, "{\"pool\":\"desks\"}"))
        .getString("token");
    assertThat(lateToken.split("\\.")[1]).isEqualTo(Fingerprints.sha256(newCa));

    // WHEN the overlap ends
    SiteClient trustingNew = new SiteClient(first.dataDir().resolve("tls/ca.crt"), first.httpsPort());
    Poll.until("the overlap ends", WAIT, () -> !trustingNew.get("/admin/api/v1/site-ca", admin).json()
        .containsKey("retired"));
    Poll.until("the second node ends it too", WAIT, () -> Files.notExists(second.dataDir()
        .resolve("tls/ca-retired.crt")));

    // THEN a client that trusts only the old CA is refused (once the listeners took the shorter chain), one that
    // trusts the new CA is served
    for (TestSite node : List.of(first, second)) {
      Poll.until("a client trusting only the old CA is refused", WAIT, () -> refused(oldCaFile, node.httpsPort()));
      assertThatThrownBy(() -> new SiteClient(oldCaFile, node.httpsPort()).get("/health/live", null))
          .isInstanceOf(UncheckedIOException.class);
      assertThat(new SiteClient(first.dataDir().resolve("tls/ca.crt"), node.httpsPort()).get("/health/live", null)
          .status()).isEqualTo(200);
    }
    // AND the agent, restarted, links with what it stored: the new CA's certificate, trusting the new CA
    await(agents.close());
    agents = Vertx.vertx();
    runAgent(agentDir, null, "desk-1");
    String hostId = since.keySet().iterator().next();
    Poll.until("the agent links again", WAIT, () -> {
      String now = linked(first).get(hostId);
      return now != null && !now.equals(since.get(hostId));
    });
    assertThat(issuedBy(agentCertificate(agentDir), newCa)).isTrue();
  }

  // ---- helpers ----

  private static void runAgent(Path dir, String token, String name) {
    AgentRunner runner = new AgentRunner(new AgentRunner.Options(List.of(URI.create("https://localhost:"
        + first.httpsPort())), token, "127.0.0.1", dir, name, null, 0, "test", OutboundProxy.direct()), line -> { });
    List<AgentIdentity> identities = runner.prepare(agents);
    runner.link(agents, identities);
  }

  private static Map<String, String> linked(TestSite node) {
    Map<String, String> since = new HashMap<>();
    new SiteClient(node.dataDir().resolve("tls/ca.crt"), node.httpsPort()).get("/admin/api/v1/agents", admin).json()
        .getJsonArray("items").stream().map(JsonObject.class::cast)
        .forEach(a -> since.put(a.getString("hostId"), a.getString("since")));
    return since;
  }

  private static boolean refused(Path caFile, int port) {
    try {
      new SiteClient(caFile, port).get("/health/live", null);
      return false;
    } catch (UncheckedIOException e) {
      return true;
    }
  }

  /** The CA a node issues from, asked by a client that trusts the old CA (accepted before, and in the overlap). */
  private static String siteCa(TestSite node, Path caFile) {
    Response answer = new SiteClient(caFile, node.httpsPort()).get("/admin/api/v1/site-ca", admin);
    return answer.status() == 200 ? answer.json().getJsonObject("ca").getString("sha256") : null;
  }

  private static List<X509Certificate> cas(Path dir) {
    try {
      return Pem.parseCertificates(Files.readString(dir.resolve("ca.crt")));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static X509Certificate agentCertificate(Path dir) {
    try {
      return Pem.readCertificate(dir.resolve("agent.crt"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean issuedBy(X509Certificate certificate, X509Certificate ca) {
    try {
      certificate.verify(ca.getPublicKey());
      return true;
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  /** The certificate the HTTPS port presents to a client that trusts only the CA in {@code caFile}. */
  private static X509Certificate presented(Path caFile, int port) {
    try (SSLSocket socket = (SSLSocket) SiteClient.trusting(caFile).getSocketFactory().createSocket("localhost",
        port)) {
      socket.startHandshake();
      return (X509Certificate) socket.getSession().getPeerCertificates()[0];
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }
}
