package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.cluster.ClusterSecret;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.TestSite;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Adding a node is one command: a single node keeps a cluster secret of its own, {@code outpost appliance
 * join-command} prints what a new node runs, and a node started that way joins the site.
 */
class JoinCommandTest {

  private static final Pattern COMMAND = Pattern.compile(
      "OUTPOST_CLUSTER_SECRET='([0-9a-f]+)' outpost appliance --join (\\S+):(\\d+) --cluster-host NEW_NODE_ADDRESS");

  @TempDir
  Path tmp;

  @Test
  void aNodeStartedAsJoinCommandSaysJoinsTheSite() throws Exception {
    // GIVEN a single node started without a cluster secret, on a loopback cluster address
    int port = FreePorts.next();
    String name = "join-" + System.nanoTime();
    Path config = tmp.resolve("node-1.yaml");
    Files.writeString(config, "data-dir: " + tmp.resolve("node-1") + "\ncluster:\n  host: 127.0.0.1\n  port: " + port
        + "\n  name: " + name + "\n");
    try (TestSite first = TestSite.start(tmp.resolve("node-1"), Map.of("cluster.port", Integer.toString(port),
        "cluster.host", "127.0.0.1", "cluster.name", name))) {
      // THEN it made a secret, readable by its owner only
      Path secretFile = ClusterSecret.file(tmp.resolve("node-1"));
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secretFile))).isEqualTo("rw-------");

      // WHEN the operator asks for the join command
      StringWriter out = new StringWriter();
      int exit = new CommandLine(new Outpost()).setOut(new PrintWriter(out))
          .execute("appliance", "join-command", "--config", config.toString());

      // THEN it prints the secret and this node's address (with a warning that loopback is not reachable)
      assertThat(exit).isZero();
      assertThat(out.toString()).contains("restart it with --cluster-host THIS_NODE_ADDRESS");
      Matcher command = COMMAND.matcher(out.toString());
      assertThat(command.find()).as(out.toString()).isTrue();
      assertThat(command.group(1)).isEqualTo(Files.readString(secretFile).trim());
      assertThat(command.group(3)).isEqualTo(Integer.toString(port));

      // WHEN a second node starts as printed (this machine's loopback standing in for both addresses)
      try (TestSite second = TestSite.start(tmp.resolve("node-2"), Map.of("cluster.secret", command.group(1),
          "cluster.join", "127.0.0.1:" + command.group(3), "cluster.host", "127.0.0.1", "cluster.name", name))) {
        // THEN the two nodes are one cluster and share the site CA
        Poll.until("two members", Duration.ofSeconds(30),
            () -> first.node().clusterMember().getCluster().getMembers().size() == 2);
        assertThat(second.node().caFingerprint()).isEqualTo(first.node().caFingerprint());
      }
    }
  }

  @Test
  void withoutASecretItSaysToStartTheNodeFirst() throws Exception {
    StringWriter err = new StringWriter();
    int exit = new CommandLine(new Outpost()).setErr(new PrintWriter(err))
        .execute("appliance", "join-command", "--data-dir", tmp.resolve("never-started").toString());
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("no cluster secret yet").contains("start it once");
  }
}
