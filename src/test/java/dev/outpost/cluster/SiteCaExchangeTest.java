package dev.outpost.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.testing.FreePorts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a node gets its site CA: its own, the one the cluster publishes, or a new one (one member stands in). */
class SiteCaExchangeTest {

  private static final List<String> JOIN = List.of("127.0.0.1:5701");
  private static final Duration SHORT = Duration.ofMillis(600);
  /** The oldest member of the test cluster. */
  private static HazelcastInstance hazelcast;
  /** A member that joined it. */
  private static HazelcastInstance younger;

  @TempDir
  Path tmp;

  @BeforeAll
  static void members() {
    String name = "ca-test-" + System.nanoTime();
    int first = FreePorts.next();
    hazelcast = Hazelcast.newHazelcastInstance(config(name, first, List.of()));
    younger = Hazelcast.newHazelcastInstance(config(name, FreePorts.next(), List.of("127.0.0.1:" + first)));
  }

  private static Config config(String name, int port, List<String> join) {
    Config config = new Config().setClusterName(name);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.getNetworkConfig().setPort(port).setPortAutoIncrement(false).getJoin().getAutoDetectionConfig()
        .setEnabled(false);
    config.getNetworkConfig().getJoin().getMulticastConfig().setEnabled(false);
    config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).setMembers(join);
    return config;
  }

  @AfterAll
  static void stop() {
    younger.shutdown();
    hazelcast.shutdown();
  }

  private SiteCaExchange exchange(String secret, List<String> join) {
    hazelcast.getMap(SiteCaExchange.MAP_NAME).clear();
    return new SiteCaExchange(hazelcast, secret, join, SHORT);
  }

  @Test
  void aJoiningNodeOnAFreshDataDirAdoptsTheCaTheFirstNodePublished() throws Exception {
    SiteCaExchange first = exchange("site-secret-1", List.of());
    SiteCertificates site = first.loadOrAdopt(tmp.resolve("node-1/tls"), "site-a", List.of());

    SiteCertificates joined = new SiteCaExchange(younger, "site-secret-1", JOIN, SHORT)
        .loadOrAdopt(tmp.resolve("node-2/tls"), "site-a", List.of("node-2.example"));

    assertThat(joined.caFingerprint()).isEqualTo(site.caFingerprint());
    assertThat(Files.readString(tmp.resolve("node-2/tls/ca.crt"))).isEqualTo(site.caPem());
    assertThat(hazelcast.<String, String>getMap(SiteCaExchange.MAP_NAME).get(SiteCaExchange.ENTRY))
        .doesNotContain("PRIVATE KEY");
  }

  @Test
  void aFreshNodeThatIsTheOldestMemberFoundsTheSiteCa() throws Exception {
    SiteCertificates founded = exchange("site-secret-1", JOIN).loadOrAdopt(tmp.resolve("node-1/tls"), "site-a",
        List.of());

    assertThat(SiteCertificates.hasCa(tmp.resolve("node-1/tls"))).isTrue();
    assertThat(new SiteCaExchange(younger, "site-secret-1", JOIN, SHORT).loadOrAdopt(tmp.resolve("node-2/tls"),
        "site-a", List.of()).caFingerprint()).isEqualTo(founded.caFingerprint());
  }

  @Test
  void aJoiningNodeThatGetsNoCaInTimeDoesNotStart() {
    hazelcast.getMap(SiteCaExchange.MAP_NAME).clear();
    SiteCaExchange waiting = new SiteCaExchange(younger, "site-secret-1", JOIN, SHORT);

    assertThatThrownBy(() -> waiting.loadOrAdopt(tmp.resolve("tls"), "site-a", List.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("cluster.join: no site CA arrived from the cluster within 0 s")
        .hasMessageContaining("tls/ca.crt and tls/ca.key");
    assertThat(SiteCertificates.hasCa(tmp.resolve("tls"))).isFalse();
  }

  @Test
  void aJoiningNodeWithAnotherSecretCannotOpenTheCa() throws Exception {
    exchange("site-secret-1", List.of()).loadOrAdopt(tmp.resolve("node-1/tls"), "site-a", List.of());

    assertThatThrownBy(() -> new SiteCaExchange(younger, "site-secret-2", JOIN, SHORT)
        .loadOrAdopt(tmp.resolve("node-2/tls"), "site-a", List.of()))
        .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("cluster.secret: cannot open the site CA");
  }

  @Test
  void aNodeWithACaOfItsOwnKeepsItAndTheClusterKeepsTheFirst() throws Exception {
    // GIVEN a cluster whose first node published the site CA, and a node that has a CA of its own already
    SiteCertificates site = exchange("site-secret-1", List.of())
        .loadOrAdopt(tmp.resolve("node-1/tls"), "site-a", List.of());
    SiteCertificates own = SiteCertificates.loadOrCreate(tmp.resolve("node-2/tls"), "site-a", List.of());

    // WHEN that node joins, THEN it keeps its own CA and the cluster still offers the first one
    assertThat(new SiteCaExchange(hazelcast, "site-secret-1", JOIN, SHORT)
        .loadOrAdopt(tmp.resolve("node-2/tls"), "site-a", List.of()).caFingerprint()).isEqualTo(own.caFingerprint());
    assertThat(new SiteCaExchange(younger, "site-secret-1", JOIN, SHORT).loadOrAdopt(tmp.resolve("node-3/tls"),
        "site-a", List.of()).caFingerprint()).isEqualTo(site.caFingerprint());
  }
}
