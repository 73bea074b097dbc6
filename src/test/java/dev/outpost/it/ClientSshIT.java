package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.it.OutpostProcess.Result;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.TestSite;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end with real OpenSSH: a real {@code sshd} on a loopback port is published as the SSH resource
 * {@code shell}; the packaged {@code outpost client} signs in, and the real {@code ssh} client reaches sshd through
 * the gateway as its ProxyCommand and through {@code launch --local-port}.
 */
class ClientSshIT {

  static final Path SSHD = Path.of("/usr/sbin/sshd");
  static final String REMOTE = "echo ok; head -c 50000000 /dev/zero | sha256sum";

  @TempDir
  static Path tmp;
  static TestSite site;
  static Process sshd;
  static Path key;
  static Path home;
  static String user = System.getProperty("user.name");

  @BeforeAll
  static void start() throws Exception {
    // never skipped: a missing sshd is a failed set-up, which ./run-tests fixes by installing it
    assertThat(Files.isExecutable(SSHD)).as("%s is missing: run ./run-tests, which installs openssh-server", SSHD)
        .isTrue();
    int sshPort = startSshd();
    site = TestSite.start(tmp.resolve("node"));
    SiteClient client = site.client();
    String admin = site.adminToken();
    String poolId = created(client.post("/admin/api/v1/pools", admin, "{\"name\":\"linux\",\"maxSessionsPerHost\":20}"))
        .getString("id");
    created(client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell").put("pool", "linux")
        .put("kind", "desktop").put("port", sshPort).put("launchHint", "ssh").encode()));
    created(client.post("/admin/api/v1/users", admin, "{\"username\":\"alice\",\"password\":\"alice-password-1\"}"));
    created(client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"user\":\"alice\"}"));
    UUID hostId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, "sshd", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId)));
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "sshd", poolId, "127.0.0.1",
        "node", Map.of(sshPort, true), 0.1, List.of())));
    home = tmp.resolve("home");
    Files.writeString(tmp.resolve("alice-password"), "alice-password-1\n");
  }

  @AfterAll
  static void stop() {
    if (sshd != null) {
      sshd.destroy();
    }
    if (site != null) {
      site.close();
    }
  }

  @Test
  void sshThroughTheGatewayAsProxyCommandAndThroughALocalPort() throws Exception {
    // GIVEN a first contact without the CA fingerprint THEN the client refuses and shows the fingerprint
    Result unpinned = client("login", "https://localhost:" + site.httpsPort(), "--user", "alice", "--password-file",
        tmp.resolve("alice-password").toString());
    assertThat(unpinned.exitCode()).isEqualTo(1);
    assertThat(unpinned.stderr()).contains(site.node().caFingerprintDisplay()).contains("--ca-sha256");
    assertThat(unpinned.stderr().strip().lines()).hasSize(1);

    // WHEN alice signs in with the fingerprint
    Result login = client("login", "https://localhost:" + site.httpsPort(), "--user", "alice", "--password-file",
        tmp.resolve("alice-password").toString(), "--ca-sha256", site.node().caFingerprintDisplay());
    assertThat(login.exitCode()).as(login.stderr()).isZero();

    // THEN the state is private, with a device key, and the apps are listed with their availability
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home))).isEqualTo("rwx------");
    for (String file : List.of("token", "ca.pem", "client.json", "device-key.pem", "device-key.pub")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(file))))
          .as(file).isEqualTo("rw-------");
    }
    Result apps = client("apps");
    assertThat(apps.exitCode()).as(apps.stderr()).isZero();
    assertThat(apps.stdout()).containsPattern("shell\\s+desktop\\s+ssh\\s+yes");

    // AND a launch without a local port prints the descriptor with the launch file and the ssh command
    JsonObject descriptor = new JsonObject(client("launch", "shell").stdout());
    assertThat(descriptor.getString("sshCommand"))
        .isEqualTo("ssh -o ProxyCommand='outpost client connect shell --stdio' alice@shell");
    assertThat(descriptor.getJsonObject("launchFile").getString("ticket")).isEqualTo(descriptor.getString("ticket"));

    // WHEN ssh runs a command with `outpost client connect shell --stdio` as its ProxyCommand
    String proxy = String.join(" ", OutpostProcess.command("client", "--home", home.toString(), "connect", "%n",
        "--stdio"));
    SshResult viaProxy = ssh(List.of("-o", "ProxyCommand=" + proxy, user + "@shell", REMOTE), null);

    // THEN the command's output comes back whole
    assertThat(viaProxy.exitCode).as(viaProxy.stderr).isZero();
    assertThat(viaProxy.stdoutText()).isEqualTo("ok\n" + sha256Hex(new byte[50_000_000]) + "  -\n");

    // AND 50 MB stream down and 20 MB up through the gateway intact
    SshResult download = ssh(List.of("-o", "ProxyCommand=" + proxy, user + "@shell", "head -c 50000000 /dev/zero"),
        null);
    assertThat(download.exitCode).as(download.stderr).isZero();
    assertThat(download.stdoutBytes).hasSize(50_000_000);
    assertThat(sha256Hex(download.stdoutBytes)).isEqualTo(sha256Hex(new byte[50_000_000]));
    Path upload = tmp.resolve("upload.bin");
    byte[] random = new byte[20_000_000];
    new java.util.Random(11).nextBytes(random);
    Files.write(upload, random);
    SshResult uploaded = ssh(List.of("-o", "ProxyCommand=" + proxy, user + "@shell", "sha256sum"), upload);
    assertThat(uploaded.stdoutText()).isEqualTo(sha256Hex(random) + "  -\n");

    // WHEN the client forwards a local port instead
    int localPort = FreePorts.next();
    try (OutpostProcess forward = OutpostProcess.start(tmp, Map.of(), "client", "--home", home.toString(), "launch",
        "shell", "--local-port", Integer.toString(localPort))) {
      forward.awaitStdout("Forwarding 127\\.0\\.0\\.1:" + localPort + " to shell", Duration.ofSeconds(60));

      // THEN ssh to that port works the same, twice (a fresh launch per connection)
      for (int i = 0; i < 2; i++) {
        SshResult viaPort = ssh(List.of("-p", Integer.toString(localPort), user + "@127.0.0.1", REMOTE), null);
        assertThat(viaPort.exitCode).as(viaPort.stderr).isZero();
        assertThat(viaPort.stdoutText()).isEqualTo("ok\n" + sha256Hex(new byte[50_000_000]) + "  -\n");
      }
    }

    // AND sessions are listed; logout deletes the token and keeps the device key
    Result sessions = client("sessions");
    assertThat(sessions.stdout()).contains("shell");
    String deviceKey = Files.readString(home.resolve("device-key.pub"));
    Result logout = client("logout");
    assertThat(logout.exitCode()).as(logout.stderr()).isZero();
    assertThat(home.resolve("token")).doesNotExist();
    assertThat(Files.readString(home.resolve("device-key.pub"))).isEqualTo(deviceKey);
    Result after = client("apps");
    assertThat(after.exitCode()).isEqualTo(1);
    assertThat(after.stderr()).contains("not signed in");
  }

  // ---- helpers ----

  static Result client(String... args) {
    List<String> all = new ArrayList<>(List.of("client", "--home", home.toString()));
    all.addAll(List.of(args));
    return OutpostProcess.run(tmp, all.toArray(String[]::new));
  }

  record SshResult(int exitCode, byte[] stdoutBytes, String stderr) {
    String stdoutText() {
      return new String(stdoutBytes, StandardCharsets.UTF_8);
    }
  }

  static SshResult ssh(List<String> args, Path stdin) throws Exception {
    List<String> command = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-i", key.toString()));
    command.addAll(args);
    Path out = Files.createTempFile(tmp, "ssh", ".out");
    Path err = Files.createTempFile(tmp, "ssh", ".err");
    Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
            : ProcessBuilder.Redirect.from(stdin.toFile())).start();
    if (!process.waitFor(3, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new AssertionError("ssh did not finish within 3 minutes: " + Files.readString(err));
    }
    return new SshResult(process.exitValue(), Files.readAllBytes(out), Files.readString(err));
  }

  /** A real sshd on a free loopback port, in the foreground as a child, with its own keys and config. */
  static int startSshd() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("sshd"));
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host_key").toString());
    key = dir.resolve("client_key");
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString());
    Files.copy(dir.resolve("client_key.pub"), dir.resolve("authorized_keys"));
    if ("root".equals(user)) {
      Files.createDirectories(Path.of("/run/sshd")); // sshd's privilege separation directory
    }
    int port = FreePorts.next();
    Path config = dir.resolve("sshd_config");
    Files.writeString(config, String.join("\n",
        "Port " + port,
        "ListenAddress 127.0.0.1",
        "HostKey " + dir.resolve("host_key"),
        "PidFile " + dir.resolve("sshd.pid"),
        "AuthorizedKeysFile " + dir.resolve("authorized_keys"),
        "StrictModes no",
        "UsePAM no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PubkeyAuthentication yes",
        "PermitRootLogin prohibit-password",
        "") + "\n");
    sshd = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
    Instant deadline = Instant.now().plusSeconds(20);
    while (true) {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        probe.shutdownOutput();
        return port;
      } catch (IOException e) {
        if (!sshd.isAlive() || Instant.now().isAfter(deadline)) {
          throw new AssertionError("sshd did not start: " + Files.readString(dir.resolve("sshd.log")));
        }
        Thread.sleep(50); // polling for the listener, with a deadline
      }
    }
  }

  static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + new String(output, StandardCharsets.UTF_8));
    }
  }

  static String sha256Hex(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  static JsonObject created(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(201);
    return response.json();
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
