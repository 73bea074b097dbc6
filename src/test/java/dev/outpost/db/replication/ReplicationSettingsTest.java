package dev.outpost.db.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.db.PeerListener;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The replication module's pure parts: names, networks, the synchronous rule, WAL positions and the secrets. */
class ReplicationSettingsTest {

  private static final ReplicationCredentials CREDENTIALS =
      ReplicationCredentials.derive("sixteen bytes at least".getBytes());

  @ParameterizedTest
  @CsvSource({
      "node-1.example.org, node_1_example_org",
      "Appliance_A, appliance_a",
      "'', node",
      "4f1c2a9e-0b7d-4c58-9d8e-2f4b6a7c8d9e, 4f1c2a9e_0b7d_4c58_9d8e_2f4b6a7c8d9e",
  })
  void aMemberNameBecomesAValidStandbyName(String member, String standby) {
    assertThat(ReplicationSettings.standbyName(member)).isEqualTo(standby);
    assertThat(settings(standby, List.of("10.0.0.0/24")).nodeName()).isEqualTo(standby);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "Node-1 | 10.0.0.0/24 | standby name",
      "node_1 | 10.0.0.0/24 trust | not an address or CIDR",
      "node_1 | all | not an address or CIDR",
  })
  void invalidSettingsAreRefusedAtOnce(String name, String network, String message) {
    assertThatThrownBy(() -> settings(name, List.of(network))).hasMessageContaining(message);
  }

  @Test
  void noPeerNetworkIsRefused() {
    assertThatThrownBy(() -> settings("node_1", List.of())).hasMessageContaining("no peer network");
  }

  @Test
  void theRuleNamesEveryStreamingStandbyAndIsEmptyWithoutOne() {
    assertThat(SynchronousStandbys.rule(Set.of())).isEmpty();
    assertThat(SynchronousStandbys.rule(Set.of("s2", "s1"))).isEqualTo("ANY 1 (\"s1\", \"s2\")");
  }

  @ParameterizedTest
  @CsvSource({"0/0, 0", "0/4000250, 67109456", "1/0, 4294967296", "A/FF, 42949673215"})
  void walPositionsReadAndPrintAsPostgreSqlDoes(String text, long value) {
    assertThat(Lsn.parse(text)).isEqualTo(value);
    assertThat(Lsn.format(value)).isEqualTo(text);
  }

  @Test
  void theDerivedPasswordsAreStableDistinctAndNeverPrinted() {
    ReplicationCredentials again = ReplicationCredentials.derive("sixteen bytes at least".getBytes());
    ReplicationCredentials other = ReplicationCredentials.derive("another secret of the site".getBytes());
    assertThat(again.replicationPassword()).isEqualTo(CREDENTIALS.replicationPassword());
    assertThat(CREDENTIALS.replicationPassword()).isNotEqualTo(CREDENTIALS.superuserPassword())
        .isNotEqualTo(other.replicationPassword());
    assertThat(CREDENTIALS.toString()).doesNotContain(CREDENTIALS.replicationPassword())
        .doesNotContain(CREDENTIALS.superuserPassword());
    assertThat(new PrimaryEndpoint("10.0.0.5", 5433).toString()).isEqualTo("10.0.0.5:5433");
    assertThat(new PrimaryEndpoint("10.0.0.5", 5433).conninfo(CREDENTIALS, "s1", Path.of("ca.crt")))
        .contains("sslmode=verify-ca sslrootcert=ca.crt")
        .contains("application_name=s1");
    assertThatThrownBy(() -> ReplicationCredentials.derive(new byte[8])).hasMessageContaining("16 bytes");
  }

  private static ReplicationSettings settings(String name, List<String> networks) {
    return new ReplicationSettings(name, new PeerListener("10.0.0.5", 5433), networks, Path.of("node.crt"),
        Path.of("node.key"), Path.of("ca.crt"), CREDENTIALS);
  }
}
