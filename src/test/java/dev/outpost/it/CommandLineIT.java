package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.it.OutpostProcess.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The CLI of the packaged jar: help, version, planned commands, configuration errors. */
class CommandLineIT {

  @TempDir
  Path tmp;

  @Test
  void topLevelHelpListsEveryRole() {
    Result help = OutpostProcess.run(tmp, "--help");

    assertThat(help.exitCode()).isZero();
    assertThat(help.stdout()).contains("appliance", "serve", "hub", "agent", "client", "admin");
  }

  @Test
  void versionNamesTheRelease() {
    Result version = OutpostProcess.run(tmp, "--version");

    assertThat(version.exitCode()).isZero();
    assertThat(version.stdout()).matches("(?s)outpost \\d+\\.\\d+\\.\\d+.*");
  }

  @Test
  void applianceHelpListsEveryDocumentedFlag() {
    Result help = OutpostProcess.run(tmp, "appliance", "--help");

    assertThat(help.exitCode()).isZero();
    assertThat(help.stdout()).contains("--data-dir", "--https-port", "--gateway-port", "--cluster-port", "--join",
        "--hub", "--db-url", "--admin-password-file", "--demo", "--demo-port", "--log-format", "--config", "--proxy",
        "OUTPOST_");
    assertThat(OutpostProcess.run(tmp, "serve", "--help").stdout()).isEqualTo(help.stdout());
  }

  @Test
  void drainNodeHasHelpAndSaysWhenNoNodeRunsOnTheDataDir() throws Exception {
    Result help = OutpostProcess.run(tmp, "appliance", "drain-node", "--help");
    assertThat(help.exitCode()).isZero();
    assertThat(help.stdout()).contains("--data-dir", "--config", "--grace", "--timeout", "--no-stop", "/health/ready",
        "Exit codes");
    assertThat(OutpostProcess.run(tmp, "appliance", "--help").stdout()).contains("drain-node");

    // GIVEN a data dir no node runs on WHEN drain-node is asked to drain it THEN it says so, with exit code 3
    java.nio.file.Files.createDirectories(tmp.resolve("idle"));
    Result idle = OutpostProcess.run(tmp, "appliance", "drain-node", "--data-dir", tmp.resolve("idle").toString());
    assertThat(idle.exitCode()).as(idle.stderr()).isEqualTo(3);
    assertThat(idle.stderr()).contains("no node runs on data dir").contains("idle");

    // AND a bad duration is a usage error naming the option
    Result bad = OutpostProcess.run(tmp, "appliance", "drain-node", "--grace", "soon");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.stderr()).contains("--grace").contains("10s");
  }

  @Test
  void agentAndAdminHelpDocumentEveryOption() {
    Result agent = OutpostProcess.run(tmp, "agent", "--help");
    Result admin = OutpostProcess.run(tmp, "admin", "--help");

    assertThat(agent.exitCode()).isZero();
    assertThat(agent.stdout()).contains("--appliance", "--token", "--address", "--data-dir", "--name", "--heartbeat",
        "--simulate", "--proxy", "HTTPS_PROXY", "NO_PROXY", "--trust-ssh-user-ca", "--log-level", "Exit codes");
    assertThat(admin.exitCode()).isZero();
    assertThat(admin.stdout()).contains("--url", "--ca-sha256", "--cacert", "--home", "login", "logout",
        "enroll-token", "get", "post", "put", "delete", "backup", "restore");
    assertThat(OutpostProcess.run(tmp, "admin", "enroll-token", "create", "--help").stdout())
        .contains("--pool", "--uses", "--ttl");
    assertThat(OutpostProcess.run(tmp, "admin", "backup", "--help").stdout())
        .contains("--data-dir", "--config", "--db-url", "--passphrase-file", "argon2id", "AES-256-GCM");
    assertThat(OutpostProcess.run(tmp, "admin", "restore", "--help").stdout())
        .contains("--data-dir", "--passphrase-file", "--replace");
  }

  @Test
  void anAgentWithoutEnrollmentOrTokenSaysWhatItNeeds() {
    Result result = OutpostProcess.run(tmp, "agent", "--data-dir", tmp.resolve("a").toString());

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr().strip()).startsWith("outpost agent: not enrolled yet").doesNotContain("\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"login", "apps", "launch", "connect", "sessions", "logout"})
  void everyClientCommandHasHelp(String command) {
    Result help = OutpostProcess.run(tmp, "client", command, "--help");

    assertThat(help.exitCode()).isZero();
    assertThat(help.stdout()).contains("Usage: outpost client " + command).contains("--home");
  }

  @Test
  void clientCommandsBeforeSignInSayHowToSignIn() {
    Result apps = OutpostProcess.run(tmp, "client", "--home", tmp.resolve("nobody").toString(), "apps");

    assertThat(apps.exitCode()).isEqualTo(1);
    assertThat(apps.stdout()).isEmpty();
    assertThat(apps.stderr().strip()).startsWith("outpost client apps: not signed in: run 'outpost client login")
        .doesNotContain("\n").doesNotContain("Exception");
    assertThat(OutpostProcess.run(tmp, "client").stderr()).contains("login", "apps", "launch", "connect", "sessions",
        "logout");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--https-port|abc|http.port: 'abc' (from --https-port) is not a port number",
      "--log-format|xml|log.format: 'xml' (from --log-format) is not allowed: use one of text, json",
      "--join|a b|cluster.join: 'a b' (from --join) is not a list of host:port members",
      "--db-url|mysql://u:secret@h/db|db.url: (value hidden) (from --db-url) is not a PostgreSQL URL",
      "--proxy|https://u:secret@proxy:3128|proxy.url: (value hidden) (from --proxy) is not an http:// proxy URL",
      "--admin-password-file|/nonexistent/pw|admin.password-file: file /nonexistent/pw does not exist"})
  void aBadValueStopsStartUpWithOneLine(String flag, String value, String expected) {
    Result result = OutpostProcess.run(tmp, "appliance", "--data-dir", tmp.resolve("d").toString(), flag, value);

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr().strip().lines()).hasSize(1);
    assertThat(result.stderr()).contains(expected).doesNotContain("secret").doesNotContain("Exception");
    assertThat(tmp.resolve("d/tls")).as("nothing was created").doesNotExist();
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    Result result = OutpostProcess.run(tmp, "appliance", "--http-port", "1");

    assertThat(result.exitCode()).isEqualTo(2);
    assertThat(result.stderr()).contains("Unknown options: '--http-port'").contains("Possible solutions: --https-port");
  }
}
