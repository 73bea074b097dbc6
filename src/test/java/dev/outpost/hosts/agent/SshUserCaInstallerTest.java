package dev.outpost.hosts.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code outpost agent --trust-ssh-user-ca}: the key comes from a real appliance over TLS pinned to the site CA, lands
 * in the named file, and the agent says whether sshd's configuration already trusts it or which line to add.
 */
class SshUserCaInstallerTest {

  @TempDir
  static Path tmp;
  static TestSite site;
  static Vertx vertx;

  @BeforeAll
  static void site() {
    site = TestSite.start(tmp.resolve("node"));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    if (site != null) {
      site.close();
    }
  }

  @Test
  void theKeyIsInstalledAndTheMissingSshdLineIsPrintedThenFoundOnceAdded() throws Exception {
    // GIVEN an enrolled agent's identity (its pinned site CA and appliance) and an sshd_config without the line
    Path etc = Files.createDirectories(tmp.resolve("etc-ssh"));
    Path config = Files.writeString(etc.resolve("sshd_config"), "Port 22\n");
    Path file = etc.resolve("outpost_user_ca.pub");
    List<String> said = new CopyOnWriteArrayList<>();
    SshUserCaInstaller installer = new SshUserCaInstaller(file, config, said::add);

    // WHEN the agent installs the CA
    installer.install(vertx, identity()).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);

    // THEN the file holds exactly what the appliance serves, and the agent prints the line to add
    String served = site.client().get("/api/v1/ssh-user-ca", null).body();
    assertThat(Files.readString(file)).isEqualTo(served).startsWith("ecdsa-sha2-nistp256 ");
    assertThat(said).singleElement().asString().startsWith("Installed the site's SSH user CA in " + file)
        .endsWith("TrustedUserCAKeys " + file);

    // WHEN the administrator adds the line in an included file and the agent starts again
    Files.createDirectories(etc.resolve("sshd_config.d"));
    Files.writeString(etc.resolve("sshd_config.d/outpost.conf"), "TrustedUserCAKeys " + file + "\n");
    said.clear();
    installer.install(vertx, identity()).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);

    // THEN nothing changes and the agent says sshd trusts it
    assertThat(said).singleElement().asString().startsWith("The site's SSH user CA is already in " + file)
        .contains("sshd trusts it");
  }

  @Test
  void anApplianceThatCannotBeReachedIsReportedWithoutStoppingTheAgent() throws Exception {
    List<String> said = new CopyOnWriteArrayList<>();
    Path file = tmp.resolve("never.pub");
    AgentIdentity unreachable = new AgentIdentity("h1", "host", "127.0.0.1", "pool",
        List.of("https://localhost:1"), "cert", "key", site.node().certificates().caPem());

    new SshUserCaInstaller(file, tmp.resolve("no-sshd_config"), said::add).install(vertx, unreachable)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);

    assertThat(said).singleElement().asString().startsWith("Could not install the site's SSH user CA:");
    assertThat(file).doesNotExist();
  }

  private static AgentIdentity identity() {
    return new AgentIdentity("h1", "host", "127.0.0.1", "pool", List.of("https://localhost:" + site.httpsPort()),
        "cert", "key", site.node().certificates().caPem());
  }
}
