package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.it.OutpostProcess.Result;
import dev.outpost.testing.FreePorts;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command-line tools follow the conventions of the machine they run on: state under {@code $HOME}, a password
 * piped in on stdin, no agent state dropped in the current directory, and an enrollment command that names the
 * appliance as other machines reach it.
 */
class CliConventionsIT {

  private static final Duration START = Duration.ofMinutes(2);
  private static final String PUBLIC_NAME = "outpost-cli.example.test";

  @TempDir
  Path tmp;

  @Test
  void adminAndClientKeepStateUnderHomeReadPipedPasswordsAndTheTokenNamesThePublicUrl() throws Exception {
    // GIVEN a demo appliance with a public name, reached by its admin on localhost
    int https = FreePorts.next();
    Path home = tmp.resolve("home");
    Path work = tmp.resolve("work");
    Files.createDirectories(work);
    Map<String, String> env = Map.of("HOME", home.toString());
    try (OutpostProcess node = OutpostProcess.start(tmp, Map.of("OUTPOST_CLUSTER_NAME", "it-" + System.nanoTime(),
            "OUTPOST_HTTP_PUBLIC_NAMES", PUBLIC_NAME),
        "appliance", "--data-dir", tmp.resolve("data").toString(), "--https-port", Integer.toString(https),
        "--cluster-port", Integer.toString(FreePorts.next()), "--cluster-bus-port", Integer.toString(FreePorts.next()),
        "--gateway-port", Integer.toString(FreePorts.next()), "--demo")) {
      node.awaitStdout("ready: https://", START);
      String fingerprint = node.awaitStdout("CA sha256: ([0-9A-F:]{95})", START);
      String adminPassword = node.awaitStdout("user 'admin', password ([A-Za-z0-9]+)", START);
      String demoPassword = node.awaitStdout("user 'demo', password ([A-Za-z0-9]+)", START);
      String url = "https://localhost:" + https;

      // WHEN the admin signs in with the password piped in, with $HOME pointing elsewhere than the account's home
      Result login = OutpostProcess.run(work, env, adminPassword + "\n", "admin", "--url", url, "--ca-sha256",
          fingerprint, "login", "--user", "admin");

      // THEN it signs in and keeps the session under $HOME
      assertThat(login.exitCode()).as(login.stderr()).isZero();
      assertThat(home.resolve(".outpost-admin")).isDirectory();

      // WHEN the admin creates an enrollment token
      Result token = OutpostProcess.run(work, env, null, "admin", "enroll-token", "create", "--pool", "demo");

      // THEN the agent command names the appliance as other machines reach it, not the loopback address used here
      assertThat(token.exitCode()).as(token.stderr()).isZero();
      String command = new JsonObject(token.stdout()).getString("command");
      assertThat(command).startsWith("outpost agent --appliance https://" + PUBLIC_NAME + ":" + https + " --token ")
          .doesNotContain("localhost");

      // WHEN a user signs in with the client, the password piped in
      Result client = OutpostProcess.run(work, env, demoPassword + "\n", "client", "login", url, "--user", "demo",
          "--ca-sha256", fingerprint);

      // THEN the client signs in and keeps its state under $HOME too
      assertThat(client.exitCode()).as(client.stderr()).isZero();
      assertThat(home.resolve(".outpost")).isDirectory();
      Result apps = OutpostProcess.run(work, env, null, "client", "apps");
      assertThat(apps.exitCode()).as(apps.stderr()).isZero();
      assertThat(apps.stdout()).contains("demo-ssh");

      // AND an empty pipe is a clear one-line refusal, not a sign-in attempt
      Result empty = OutpostProcess.run(work, env, "", "client", "login", url, "--user", "demo", "--ca-sha256",
          fingerprint);
      assertThat(empty.exitCode()).isEqualTo(1);
      assertThat(empty.stderr().strip()).contains("no password").doesNotContain("\n");
    }
  }

  @Test
  void theAgentKeepsItsStateOutsideTheCurrentDirectoryAndSaysWhere() throws Exception {
    // GIVEN a user's $HOME and a current directory (say, a checkout)
    Path home = tmp.resolve("home");
    Path work = tmp.resolve("checkout");
    Files.createDirectories(work);

    // WHEN the agent starts without --data-dir and without a token
    Result agent = OutpostProcess.run(work, Map.of("HOME", home.toString()), null, "agent");

    // THEN it looks for its state under $HOME (a system dir when run as root, as a service is), says so, and
    // leaves nothing in the current directory
    Path expected = "root".equals(System.getProperty("user.name")) ? Path.of("/var/lib/outpost-agent")
        : home.resolve(".outpost-agent");
    assertThat(agent.exitCode()).isEqualTo(2);
    assertThat(agent.stderr()).contains("not enrolled yet (nothing in " + expected + ")");
    assertThat(work.resolve("agent-data")).doesNotExist();
    try (var files = Files.list(work)) {
      assertThat(files.filter(f -> !f.getFileName().toString().matches("(stdout|stderr|stdin).*\\.txt"))).isEmpty();
    }
    assertThat(OutpostProcess.run(work, "agent", "--help").stdout()).contains("$HOME/.outpost-agent",
        "/var/lib/outpost-agent");
  }
}
