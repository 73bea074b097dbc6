package dev.outpost.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.outpost.testing.Await.await;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import dev.outpost.gateway.TicketStore;
import dev.outpost.identity.HazelcastSessionStore;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A running site attacked from its cluster network as a security review did: a Hazelcast client and a Hazelcast
 * member that know the cluster name (the default one, the one a member sees on the wire, the right one) try to get
 * in, and values written into the cluster's maps by someone without {@code cluster.secret} (a session with the
 * admin role under a token of the attacker's choosing, a copied session, a ticket) must not be accepted. The event
 * bus port refuses a TLS client without a node certificate, and one with a certificate from the site CA (as agents
 * have). The site keeps serving throughout.
 */
class ClusterTrustTest {

  @TempDir
  static Path tmp;
  static TestSite site;
  static int clusterPort;
  static String wireName;
  static String adminToken;

  @BeforeAll
  static void site() {
    clusterPort = FreePorts.next();
    site = TestSite.start(tmp.resolve("site"), Map.of("cluster.port", Integer.toString(clusterPort),
        "cluster.name", "outpost-default"));
    adminToken = site.adminToken();
    wireName = site.client().get("/admin/api/v1/nodes", adminToken).json().getString("cluster");
  }

  @AfterAll
  static void stop() {
    site.close();
  }

  @Test
  void aHazelcastClientCannotConnectWhateverNameItKnows() {
    for (String name : List.of("outpost-default", wireName)) {
      // GIVEN a Hazelcast client that knows the cluster's address and name
      ClientConfig client = new ClientConfig().setClusterName(name);
      client.getNetworkConfig().addAddress("127.0.0.1:" + clusterPort);
      client.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(4_000);
      client.setProperty("hazelcast.logging.type", "slf4j");

      // WHEN it connects, THEN it never gets a connection
      assertThatThrownBy(() -> HazelcastClient.newHazelcastClient(client).shutdown()).as(name)
          .isInstanceOf(IllegalStateException.class);
    }
    // AND the site keeps serving
    assertServing();
  }

  @Test
  void aHazelcastMemberWithoutTheSecretStaysAloneWhateverNameItKnows() {
    for (String name : List.of("outpost-default", wireName)) {
      // GIVEN a Hazelcast member with the cluster's name that lists the site's node to join
      Config config = new Config().setClusterName(name);
      config.setProperty("hazelcast.logging.type", "slf4j");
      config.setProperty("hazelcast.phone.home.enabled", "false");
      config.setProperty("hazelcast.wait.seconds.before.join", "0");
      config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
      config.getNetworkConfig().setPort(FreePorts.next()).setPortAutoIncrement(false);
      config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
      config.getNetworkConfig().getJoin().getAutoDetectionConfig().setEnabled(false);
      config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true)
          .setMembers(List.of("127.0.0.1:" + clusterPort)).setConnectionTimeoutSeconds(2);

      // WHEN it starts
      HazelcastInstance stranger = Hazelcast.newHazelcastInstance(config);
      try {
        // THEN it is a cluster of its own, the site's cluster has only the site's node, and what it calls the
        // sessions map is empty
        assertThat(stranger.getCluster().getMembers()).as(name).hasSize(1);
        assertThat(site.node().clusterMember().getCluster().getMembers()).hasSize(1);
        assertThat(stranger.getMap(HazelcastSessionStore.MAP_NAME).size()).isZero();
      } finally {
        stranger.shutdown();
      }
    }
    assertServing();
  }

  @Test
  void anythingElseOnTheClusterPortIsClosedUnread() throws Exception {
    // GIVEN a program that opens the cluster port and sends Hazelcast's member protocol header and then garbage
    for (byte[] opening : List.of("HZC".getBytes(StandardCharsets.US_ASCII), new byte[] {0, 0, 0, 8, 4, -46, 22, 47},
        "OPM1".getBytes(StandardCharsets.US_ASCII))) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", clusterPort), 2_000);
        socket.setSoTimeout(15_000);
        OutputStream out = socket.getOutputStream();
        try {
          out.write(opening);
          out.write(new byte[64]);
          out.flush();
        } catch (java.net.SocketException reset) {
          // the node closed the connection as soon as it read the wrong opening: that is the answer
        }
        // THEN the node answers at most its own challenge, then closes (or resets) the connection
        assertThat(readUntilClosed(socket.getInputStream())).isLessThanOrEqualTo(4 + 32 + 32);
      }
    }
    assertServing();
  }

  @Test
  void aSessionMintedOrMovedInTheClusterIsNotAccepted() {
    IMap<String, String> sessions = site.node().clusterMember().getMap(HazelcastSessionStore.MAP_NAME);
    // GIVEN a plain user's session, as the cluster holds it
    createUser("plain.user");
    String userToken = site.client().login("plain.user", "plain-user-password-1");
    String sealed = sessions.get(SecureTokens.hash(userToken));
    assertThat(sealed).startsWith("s1.").doesNotContain("plain.user");

    // WHEN someone without the secret writes, under a token of their choosing, a session with the admin role in
    // clear (the attack that worked before), a copy of the user's sealed session, and the user's session with one
    // bit flipped
    String forgedToken = SecureTokens.random(32);
    JsonObject admin = new JsonObject().put("v", 1).put("sessionId", SecureTokens.hash(forgedToken))
        .put("userId", "x").put("username", "plain.user").put("roles", new JsonArray().add("admin"))
        .put("createdAt", Instant.now().toString()).put("expiresAt", Instant.now().plusSeconds(3600).toString());
    sessions.set(SecureTokens.hash(forgedToken), admin.encode());
    String movedToken = SecureTokens.random(32);
    sessions.set(SecureTokens.hash(movedToken), sealed);
    char[] flipped = sealed.toCharArray();
    flipped[20] = flipped[20] == 'A' ? 'B' : 'A';
    sessions.set(SecureTokens.hash(userToken), new String(flipped));
    double before = counter("outpost_cluster_values_rejected_total");

    // THEN neither forged token gets past sign-in
    for (String token : List.of(forgedToken, movedToken)) {
      assertThat(site.client().get("/admin/api/v1/users", token).status()).isEqualTo(401);
      assertThat(site.client().get("/api/v1/resources", token).status()).isEqualTo(401);
    }
    // AND the user's own token, whose cluster copy was damaged, is what the database keeps of it: the plain user,
    // never more
    assertThat(site.client().get("/admin/api/v1/users", userToken).status()).isEqualTo(403);
    assertThat(site.client().get("/api/v1/resources", userToken).status()).isEqualTo(200);
    // AND each value that did not open was counted
    assertThat(counter("outpost_cluster_values_rejected_total")).isGreaterThanOrEqualTo(before + 3);
    assertServing();
  }

  @Test
  void aTicketMintedOrMovedInTheClusterOpensNothing() throws Exception {
    IMap<String, String> tickets = site.node().clusterMember().getMap(TicketStore.MAP_NAME);
    // GIVEN a ticket entry in clear under a ticket of the attacker's choosing, and a sealed entry moved to another
    TicketStore store = site.node().tickets();
    String ticket = SecureTokens.random(32);
    TicketStore.Ticket entry = new TicketStore.Ticket("s1", "u1", "h1", "127.0.0.1", 22,
        Instant.now().plusSeconds(60));
    tickets.set(SecureTokens.hash(ticket), entry.toJson().encode());
    String genuine = SecureTokens.random(32);
    await(store.put(SecureTokens.hash(genuine), entry));
    String moved = SecureTokens.random(32);
    tickets.set(SecureTokens.hash(moved), tickets.get(SecureTokens.hash(genuine)));

    // WHEN they are presented, THEN neither opens; the genuine one does, once
    for (String presented : List.of(ticket, moved)) {
      assertThatThrownBy(() -> await(store.consume(presented))).hasCauseInstanceOf(GatewayRefusal.class)
          .cause().satisfies(e -> assertThat(((GatewayRefusal) e).gatewayStatus())
              .isEqualTo(GatewayStatus.UNKNOWN_TICKET));
    }
    assertThat(await(store.consume(genuine)).hostAddress()).isEqualTo("127.0.0.1");
  }

  @Test
  void noMapOfTheSiteHoldsAValueInClear() throws Exception {
    // GIVEN a site in use: a sign-in, and a few seconds for every node duty to publish
    site.client().login("admin", TestSite.ADMIN_PASSWORD);
    Poll.until("the node status published", Duration.ofSeconds(20),
        () -> site.node().clusterMember().getReplicatedMap(ClusterView.STATUS_MAP).size() > 0);

    // WHEN every value of Outpost's maps is read as a member on the cluster network would read it
    List<String> clear = new ArrayList<>();
    site.node().clusterMember().getDistributedObjects().stream()
        .filter(o -> o.getName().startsWith("outpost.") && o instanceof IMap)
        .filter(o -> !o.getName().equals(SiteCaExchange.MAP_NAME))
        // failed sign-in counts only restrict (and change only through their entry processor): not sealed
        .filter(o -> !o.getName().equals(dev.outpost.identity.HazelcastAttemptCounters.MAP_NAME))
        .forEach(o -> ((IMap<?, ?>) o).values().forEach(v -> {
          if (!String.valueOf(v).startsWith("s1.")) {
            clear.add(o.getName() + ": " + v);
          }
        }));
    site.node().clusterMember().<String, String>getReplicatedMap(ClusterView.STATUS_MAP).values()
        .forEach(v -> {
          if (!v.startsWith("s1.")) {
            clear.add(ClusterView.STATUS_MAP + ": " + v);
          }
        });

    // THEN each is sealed; the site CA's private key is sealed on its own
    assertThat(clear).isEmpty();
    String ca = String.valueOf(site.node().clusterMember().getMap(SiteCaExchange.MAP_NAME).values().iterator().next());
    assertThat(ca).doesNotContain("PRIVATE KEY");
  }

  @Test
  void theEventBusRefusesTlsClientsWithoutANodeCertificate() throws Exception {
    int busPort = site.node().clusterConfig().busPort();
    // GIVEN a TLS client that trusts anything and shows no certificate, and one that shows a certificate from the
    // site CA, as an enrolled agent holds
    SiteCertificates siteCa = site.node().certificates();
    java.security.KeyPair agentKey = SiteCertificates.newKeyPair();
    X509Certificate agent = siteCa.issue(agentKey, "CN=host-1,OU=agent", List.of(), Duration.ofDays(1), false);
    for (SSLContext context : List.of(client(null, null), client(agentKey.getPrivate(), agent))) {
      // WHEN it opens the event bus port and sends a frame, THEN the handshake or the connection fails
      try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", busPort)) {
        socket.setSoTimeout(10_000);
        assertThatThrownBy(() -> {
          socket.startHandshake();
          socket.getOutputStream().write(new byte[] {0, 0, 0, 4, 1, 2, 3, 4});
          socket.getOutputStream().flush();
          if (socket.getInputStream().read() == -1) {
            throw new java.io.EOFException("closed");
          }
        }).isInstanceOf(java.io.IOException.class);
      }
    }
    assertServing();
  }

  /** How many bytes arrive before the peer closes or resets the connection. */
  private static int readUntilClosed(InputStream in) throws java.io.IOException {
    int count = 0;
    try {
      while (in.read() != -1) {
        count++;
      }
    } catch (java.net.SocketException reset) {
      // closed with unread data in its buffer: a reset is a close too
    }
    return count;
  }

  private static SSLContext client(java.security.PrivateKey key, X509Certificate certificate) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    KeyManagerFactory keys = null;
    if (key != null) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("agent", key, new char[0], new X509Certificate[] {certificate});
      keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, new char[0]);
    }
    TrustManager anything = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    context.init(keys == null ? null : keys.getKeyManagers(), new TrustManager[] {anything}, null);
    return context;
  }

  private static void createUser(String name) {
    site.client().post("/admin/api/v1/users", adminToken, new JsonObject().put("username", name)
        .put("password", "plain-user-password-1").encode());
  }

  private static void assertServing() {
    assertThat(site.client().get("/health/ready", null).status()).isEqualTo(200);
    assertThat(site.client().login("admin", TestSite.ADMIN_PASSWORD)).isNotEmpty();
  }

  private static double counter(String name) {
    String metrics = site.client().get("/metrics", null).body();
    return metrics.lines().filter(l -> l.startsWith(name)).mapToDouble(l -> Double.parseDouble(
        l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

}
