package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.crypto.ClusterKeys;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.replication.ReplicationSettings;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The settings a node of a replicated site derives for its embedded database. */
class ReplicatedDatabaseTest {

  private static final String SECRET = "replicated-database-secret-0123";

  @TempDir
  Path dataDir;

  @ParameterizedTest
  @CsvSource({"10.0.0.11, 10.0.0.0/24", "127.0.0.1, 127.0.0.0/24", "192.168.7.200, 192.168.7.0/24",
      "fd00::11, fd00::11/64"})
  void theClusterNetworkOfAnAddress(String address, String network) {
    assertThat(ReplicatedDatabase.network(address)).isEqualTo(network);
  }

  @Test
  void aNodeDerivesItsNameNetworksCredentialsAndTheBusCertificates() throws Exception {
    // GIVEN a node id, a cluster address, one node to join and the event-bus authority derived from the secret
    ClusterKeys keys = ClusterKeys.of(SECRET);
    SiteCertificates bus = SiteCertificates.busAuthority(keys.busAuthority(), "node-A");

    // WHEN the node derives its replication settings
    ReplicationSettings settings = ReplicatedDatabase.settings(dataDir, "Node-A.example", "10.0.0.11",
        List.of("10.0.1.12:5701"), 5703, bus, keys);

    // THEN they name it as a standby, listen on its cluster address and peer port, admit the cluster's networks,
    // and hold the bus certificate owner-only, with the passwords every node derives alike
    assertThat(settings.nodeName()).isEqualTo("node_a_example");
    assertThat(settings.listener().address()).isEqualTo("10.0.0.11");
    assertThat(settings.listener().port()).isEqualTo(5703);
    assertThat(settings.peerNetworks()).containsExactly("10.0.0.0/24", "10.0.1.0/24");
    assertThat(Files.readString(settings.trustedCa())).isEqualTo(bus.caPem());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(settings.privateKey())))
        .isEqualTo("rw-------");
    ReplicationSettings other = ReplicatedDatabase.settings(dataDir.resolve("other"), "node-B", "10.0.0.12",
        List.of(), 5703, SiteCertificates.busAuthority(ClusterKeys.of(SECRET).busAuthority(), "node-B"), keys);
    assertThat(other.credentials().superuserPassword()).isEqualTo(settings.credentials().superuserPassword());
    assertThat(settings.credentials().toString()).doesNotContain(settings.credentials().superuserPassword());
  }

  @Test
  void aTakenPeerPortStopsTheStartWithOneLineNamingTheKey() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      ClusterKeys keys = ClusterKeys.of(SECRET);
      ReplicationSettings settings = ReplicatedDatabase.settings(dataDir, "node-a", "127.0.0.1", List.of(),
          taken.getLocalPort(), SiteCertificates.busAuthority(keys.busAuthority(), "node-a"), keys);
      assertThatThrownBy(() -> ReplicatedDatabase.refuseTakenPort(settings)).isInstanceOf(StartupException.class)
          .hasMessageContaining("db.peer-port").hasMessageNotContaining("\n");
    }
  }
}
