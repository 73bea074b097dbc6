package dev.outpost.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {

  @TempDir
  Path tmp;

  @Test
  void defaultsDescribeASingleNodeSiteWithEverythingEmbedded() {
    OutpostConfig config = ConfigLoader.create(Map.of(), Map.of(), null).load();

    assertThat(config.http().port()).isEqualTo(8443);
    assertThat(config.gateway().port()).isEqualTo(2598);
    assertThat(config.cluster().port()).isEqualTo(5701);
    assertThat(config.cluster().join()).isEmpty();
    assertThat(config.cluster().host()).isEqualTo("127.0.0.1");
    assertThat(config.cluster().name()).isEqualTo("outpost-default");
    assertThat(config.hub().inProcess()).isTrue();
    assertThat(config.db().embedded()).isTrue();
    assertThat(config.log().json()).isFalse();
    assertThat(config.identity().sessionTtl()).isEqualTo(Duration.ofHours(8));
    assertThat(config.dataDir()).isAbsolute();
    assertThat(config.dataDir().getFileName()).hasToString("data");
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsTheFileWhichBeatsDefaults() throws Exception {
    // GIVEN the same keys set at every level
    Path file = tmp.resolve("outpost.yaml");
    Files.writeString(file, """
        http:
          port: 1001
        gateway:
          port: 2001
        cluster:
          port: 3001
          join: [ "10.0.0.2:5701", "10.0.0.3" ]
        """);
    Map<String, String> env = Map.of("OUTPOST_HTTP_PORT", "1002", "OUTPOST_GATEWAY_PORT", "2002",
        "OUTPOST_CLUSTER_SECRET", "loader-test-secret-0123456789");
    Map<String, String> flags = Map.of("http.port", "1003");

    // WHEN they are resolved
    OutpostConfig config = ConfigLoader.create(flags, env, file).load();

    // THEN each key takes the highest-precedence value
    assertThat(config.http().port()).isEqualTo(1003);
    assertThat(config.gateway().port()).isEqualTo(2002);
    assertThat(config.cluster().port()).isEqualTo(3001);
    assertThat(config.cluster().join()).containsExactly("10.0.0.2:5701", "10.0.0.3:5701");
    assertThat(config.cluster().host()).as("auto-detected when joining others").isEmpty();
  }

  @Test
  void joiningNeedsALongEnoughClusterSecretAndTheBusPortFollowsTheClusterPort() {
    // WHEN a node is told to join without a secret, THEN start-up stops with one line naming the key and the fix
    assertThatThrownBy(() -> ConfigLoader.create(Map.of("cluster.join", "10.0.0.2"), Map.of(), null).load())
        .isInstanceOf(ConfigException.class).hasMessageStartingWith("cluster.secret: is required with --join")
        .hasMessageContaining("outpost appliance join-command").hasMessageNotContaining("\n");
    // WHEN the secret is short, THEN it is refused without being shown
    assertThatThrownBy(() -> ConfigLoader.create(Map.of(), Map.of("OUTPOST_CLUSTER_SECRET", "short-secret"), null)
        .load()).isInstanceOf(ConfigException.class).hasMessageContaining("shorter than 16 characters")
        .hasMessageNotContaining("short-secret");
    // WHEN no bus port is set, THEN it is the one after the cluster port; a set one stays
    assertThat(ConfigLoader.create(Map.of("cluster.port", "6000"), Map.of(), null).load().cluster().busPort())
        .isEqualTo(6001);
    assertThat(ConfigLoader.create(Map.of("cluster.bus-port", "7000"), Map.of(), null).load().cluster().busPort())
        .isEqualTo(7000);
  }

  @Test
  void theDatabasePeerPortFollowsTheClusterPortUnlessSet() {
    // WHEN no peer port is set, THEN it is two after the cluster port (5703 by default); a set one stays
    assertThat(ConfigLoader.create(Map.of(), Map.of(), null).load().db().peerPort()).isEqualTo(5703);
    assertThat(ConfigLoader.create(Map.of("cluster.port", "6000"), Map.of(), null).load().db().peerPort())
        .isEqualTo(6002);
    assertThat(ConfigLoader.create(Map.of(), Map.of("OUTPOST_DB_PEER_PORT", "7003"), null).load().db().peerPort())
        .isEqualTo(7003);
    // WHEN the cluster port leaves no room after it, THEN start-up stops with one line naming the key
    assertThatThrownBy(() -> ConfigLoader.create(Map.of("cluster.port", "65535", "cluster.bus-port", "7000"),
        Map.of(), null).load()).isInstanceOf(ConfigException.class).hasMessageStartingWith("db.peer-port:")
        .hasMessageNotContaining("\n");
  }

  @Test
  void environmentVariablesAreNamedAfterTheKey() {
    assertThat(ConfigKeys.DB_URL.envVar()).isEqualTo("OUTPOST_DB_URL");
    assertThat(ConfigKeys.DATA_DIR.envVar()).isEqualTo("OUTPOST_DATA_DIR");
    assertThat(ConfigKeys.LOGIN_MAX_FAILURES_USER.envVar()).isEqualTo("OUTPOST_IDENTITY_LOGIN_MAX_FAILURES_PER_USER");

    OutpostConfig config = ConfigLoader.create(Map.of(), Map.of("OUTPOST_LOG_FORMAT", "json", "OUTPOST_DEMO", "yes"),
        null).load();
    assertThat(config.log().json()).isTrue();
    assertThat(config.demo()).isTrue();
    assertThat(ConfigLoader.create(Map.of(), Map.of("OUTPOST_DEMO_SSH_PORT", "2222"), null).load().demoSshPort())
        .isEqualTo(2222);
  }

  static Stream<Arguments> badValues() {
    return Stream.of(
        Arguments.of("http.port", "abc", "http.port: 'abc' (from --https-port) is not a port number"),
        Arguments.of("http.port", "70000", "use 0 (any free port) to 65535"),
        Arguments.of("cluster.port", "0", "cluster.port: '0' (from --cluster-port) is not a port number"),
        Arguments.of("log.format", "xml", "use one of text, json"),
        Arguments.of("cluster.join", "host:99999", "port outside 1-65535"),
        Arguments.of("cluster.join", "a b", "is not a list of host:port members"),
        Arguments.of("hub.url", "http://hub:9443", "is not an https URL"),
        Arguments.of("db.url", "mysql://x", "is not a PostgreSQL URL"),
        Arguments.of("identity.session-ttl", "forever", "is not a duration"),
        Arguments.of("identity.session-ttl", "90d", "from 1m to 30d"),
        Arguments.of("demo", "maybe", "is not a boolean"),
        Arguments.of("demo-ssh-port", "0", "demo-ssh-port: '0' (from --demo-port) is not a port number"),
        Arguments.of("site.location", "Main Office", "is not a valid name"),
        Arguments.of("metrics.token", "short", "is shorter than 16 characters"),
        Arguments.of("metrics.token", "with a space 0123456789", "without spaces"));
  }

  @ParameterizedTest
  @MethodSource("badValues")
  void aBadValueStopsStartUpWithOneLineNamingTheKeyAndTheFix(String key, String value, String expected) {
    assertThatThrownBy(() -> ConfigLoader.create(Map.of(key, value), Map.of(), null).load())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(expected)
        .hasMessageStartingWith(key + ":")
        .hasMessageContaining("set it with")
        .satisfies(e -> assertThat(e.getMessage().lines().count()).isEqualTo(1));
  }

  @Test
  void aSecretValueIsNeverEchoedInTheError() {
    assertThatThrownBy(() -> ConfigLoader.create(Map.of("db.url", "mysql://admin:hunter2@db/x"), Map.of(), null).load())
        .hasMessageContaining("(value hidden)")
        .hasMessageNotContaining("hunter2");
  }

  @Test
  void aMetricsTokenIsKeptButNeverShown() {
    OutpostConfig config = ConfigLoader.create(Map.of(), Map.of("OUTPOST_METRICS_TOKEN", "scraper-token-0123456789"),
        null).load();
    assertThat(config.metrics().token()).isEqualTo("scraper-token-0123456789");
    assertThat(config.metrics().restricted()).isTrue();
    assertThat(config.toString()).doesNotContain("scraper-token-0123456789");
    assertThat(ConfigLoader.create(Map.of(), Map.of(), null).load().metrics().restricted()).isFalse();
  }

  @Test
  void theErrorSaysWhichEnvironmentVariableHeldTheBadValue() {
    assertThatThrownBy(() -> ConfigLoader.create(Map.of(), Map.of("OUTPOST_HTTP_PORT", "x"), null).load())
        .hasMessageContaining("(from OUTPOST_HTTP_PORT)");
  }

  @Test
  void unknownKeysAndBrokenFilesAreRefused() throws Exception {
    Path typo = tmp.resolve("typo.yaml");
    Files.writeString(typo, "http:\n  prot: 8443\n");
    Path broken = tmp.resolve("broken.yaml");
    Files.writeString(broken, "http: [\n");
    Path list = tmp.resolve("list.yaml");
    Files.writeString(list, "- a\n- b\n");

    assertThatThrownBy(() -> ConfigLoader.create(Map.of(), Map.of(), typo).load())
        .hasMessageStartingWith("http.prot: unknown key");
    assertThatThrownBy(() -> ConfigLoader.create(Map.of(), Map.of(), broken).load())
        .hasMessageContaining("is not valid YAML");
    assertThatThrownBy(() -> ConfigLoader.create(Map.of(), Map.of(), list).load())
        .hasMessageContaining("must hold a YAML mapping");
    assertThatThrownBy(() -> ConfigLoader.create(Map.of(), Map.of(), tmp.resolve("missing.yaml")).load())
        .hasMessageContaining("does not exist");
  }

  @Test
  void everyKeyIsDocumentedAndHasAValidDefault() {
    List<ConfigKey<?>> keys = ConfigKeys.all();
    assertThat(keys).hasSizeGreaterThan(15);
    for (ConfigKey<?> key : keys) {
      assertThat(key.description()).as(key.name()).isNotBlank();
      key.parse(key.defaultValue(), "the default");
    }
  }
}
