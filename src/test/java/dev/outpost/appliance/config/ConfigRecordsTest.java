package dev.outpost.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.broker.BrokerConfig;
import dev.outpost.cluster.ClusterConfig;
import dev.outpost.db.DbConfig;
import dev.outpost.gateway.GatewayConfig;
import dev.outpost.http.HttpConfig;
import dev.outpost.http.MetricsConfig;
import dev.outpost.hub.HubConfig;
import dev.outpost.identity.IdentityConfig;
import dev.outpost.identity.directory.DirectoryConfig;
import dev.outpost.lease.LeaseConfig;
import dev.outpost.recording.RecordingConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The configuration records that live in the features: their defaults and the values they refuse. */
class ConfigRecordsTest {

  @Test
  void theDefaultsOfTheKeysAreTheDefaultsOfTheFeatureRecords() {
    // GIVEN no flag, no environment and no file
    // WHEN the loader fills the records
    OutpostConfig config = ConfigLoader.create(Map.of(), Map.of(), null).load();

    // THEN each record equals the defaults its feature declares
    assertThat(config.http()).isEqualTo(HttpConfig.DEFAULTS);
    assertThat(config.gateway()).isEqualTo(GatewayConfig.DEFAULTS);
    assertThat(config.hub()).isEqualTo(HubConfig.DEFAULTS);
    assertThat(config.broker()).isEqualTo(BrokerConfig.DEFAULTS);
    assertThat(config.db()).isEqualTo(DbConfig.DEFAULTS);
    assertThat(config.identity()).isEqualTo(IdentityConfig.DEFAULTS);
    assertThat(config.directory()).isEqualTo(DirectoryConfig.DEFAULTS);
    assertThat(config.lease()).isEqualTo(LeaseConfig.DEFAULTS);
    assertThat(config.metrics()).isEqualTo(MetricsConfig.DEFAULTS);
    assertThat(config.recording()).isEqualTo(RecordingConfig.DEFAULTS);
    assertThat(config.cluster().port()).isEqualTo(ClusterConfig.DEFAULT_PORT);
    assertThat(config.cluster().minMembers()).isEqualTo(ClusterConfig.DEFAULT_MIN_MEMBERS);
    assertThat(config.cluster().host()).isEqualTo(ClusterConfig.DEFAULT_SINGLE_NODE_HOST);
    assertThat(config.cluster().name()).isEqualTo(ClusterConfig.DEFAULT_NAME_PREFIX + config.location());
  }

  static Stream<Arguments> refused() {
    Duration zero = Duration.ZERO;
    Duration second = Duration.ofSeconds(1);
    return Stream.of(
        refused("http.port", () -> new HttpConfig("0.0.0.0", 65536, List.of(), 1024, second)),
        refused("http.max-body-bytes", () -> new HttpConfig("0.0.0.0", 0, List.of(), 0, second)),
        refused("http.header-timeout", () -> new HttpConfig("0.0.0.0", 0, List.of(), 1024, zero)),
        refused("gateway.port", () -> new GatewayConfig(-1, second, second, 1, 1, second)),
        refused("gateway.idle-timeout", () -> new GatewayConfig(0, zero, second, 1, 1, second)),
        refused("gateway.max-handshakes", () -> new GatewayConfig(0, second, second, 0, 1, second)),
        refused("cluster.name", () -> new ClusterConfig("", "127.0.0.1", 5701, 5702, List.of(), 1, "")),
        refused("cluster.bus-port", () -> new ClusterConfig("c", "127.0.0.1", 5701, 0, List.of(), 1, "")),
        refused("cluster.min-members", () -> new ClusterConfig("c", "127.0.0.1", 5701, 5702, List.of(), 0, "")),
        refused("hub.port", () -> new HubConfig(null, null, "", "0.0.0.0", 70000, second, second, second)),
        refused("hub.outage-threshold", () -> new HubConfig(null, null, "", "0.0.0.0", 0, second, zero, second)),
        refused("broker.ticket-ttl", () -> new BrokerConfig(second, second.negated())),
        refused("db.pool-size", () -> new DbConfig(null, 0)),
        refused("identity.remember-device", () -> new IdentityConfig(second, 1, 1, second, second.negated())),
        refused("identity.session-ttl", () -> new IdentityConfig(zero, 1, 1, second, zero)),
        refused("identity.login.max-failures-per-user", () -> new IdentityConfig(second, 0, 1, second, zero)),
        refused("directory.offline-window", () -> new DirectoryConfig(second.negated(), second, second, zero,
            second)),
        refused("directory.timeout", () -> new DirectoryConfig(zero, second, zero, zero, second)),
        refused("lease.validity-days", () -> new LeaseConfig(0, 1, second)),
        refused("lease.proof-window", () -> new LeaseConfig(7, 1, zero)),
        refused("recording.max-bytes", () -> new RecordingConfig(1023, second)),
        refused("recording.retention", () -> new RecordingConfig(1024, zero)));
  }

  private static Arguments refused(String key, Supplier<Object> build) {
    return Arguments.of(key, build);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void aRecordBuiltByHandRefusesAValueNoFeatureCouldRunWithAndNamesItsKey(String key, Supplier<Object> build) {
    // GIVEN a record with one value out of bounds
    // WHEN it is built THEN it is refused, naming the key
    assertThatThrownBy(build::get).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(key);
  }

  @Test
  void zeroTurnsOffWhatTheDocumentationSaysItTurnsOff() {
    // GIVEN zero for the directory's offline window and group cache, and 0 for "any free port"
    // WHEN the records are built THEN they are accepted
    assertThat(new DirectoryConfig(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ZERO,
        Duration.ofSeconds(1)).offlineWindow()).isZero();
    assertThat(new HttpConfig("127.0.0.1", 0, List.of(), 1024, Duration.ofSeconds(1)).port()).isZero();
    assertThat(new GatewayConfig(0, Duration.ofSeconds(1), Duration.ofSeconds(1), 1, 1, Duration.ofSeconds(1))
        .port()).isZero();
  }
}
