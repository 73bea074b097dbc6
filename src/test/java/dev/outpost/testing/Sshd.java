package dev.outpost.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenSSH {@code sshd} on a free loopback port, in the foreground as a child of the test, with its own host
 * key, a client key and config; and the real {@code ssh} client to reach it. Never skipped: a missing sshd is a
 * failed set-up, which {@code ./run-tests} fixes by installing it.
 */
public final class Sshd implements AutoCloseable {

  public static final Path SSHD = Path.of("/usr/sbin/sshd");
  /** The remote command the end-to-end checks run, and what it prints. */
  public static final String REMOTE = "echo ok; head -c 50000000 /dev/zero | sha256sum";
  public static final String USER = System.getProperty("user.name");

  private final Path dir;
  private final Process process;
  private final int port;

  private Sshd(Path dir, Process process, int port) {
    this.dir = dir;
    this.process = process;
    this.port = port;
  }

  public static Sshd start(Path dir) throws Exception {
    return start(dir, List.of());
  }

  /** Starts sshd with these lines added to its configuration (e.g. {@code TrustedUserCAKeys FILE}). */
  public static Sshd start(Path dir, List<String> extraConfig) throws Exception {
    if (!Files.isExecutable(SSHD)) { // a plain check: benchmarks use this class without AssertJ
      throw new AssertionError(SSHD + " is missing: run ./run-tests, which installs openssh-server");
    }
    Files.createDirectories(dir);
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("host_key").toString());
    run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir.resolve("client_key").toString());
    Files.copy(dir.resolve("client_key.pub"), dir.resolve("authorized_keys"));
    if ("root".equals(USER)) {
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
        "AcceptEnv LANG",
        String.join("\n", extraConfig),
        "") + "\n");
    Process sshd = new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("sshd.log").toFile()).start();
    Instant deadline = Instant.now().plusSeconds(20);
    while (true) {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        probe.shutdownOutput();
        return new Sshd(dir, sshd, port);
      } catch (IOException e) {
        if (!sshd.isAlive() || Instant.now().isAfter(deadline)) {
          sshd.destroy();
          throw new AssertionError("sshd did not start: " + Files.readString(dir.resolve("sshd.log")));
        }
        Thread.sleep(50); // polling for the listener, with a deadline
      }
    }
  }

  public int port() {
    return port;
  }

  public record SshResult(int exitCode, byte[] stdoutBytes, String stderr) {
    public String stdoutText() {
      return new String(stdoutBytes, StandardCharsets.UTF_8);
    }
  }

  /** Runs the real ssh client with this server's client key; {@code stdin} may be null. */
  public SshResult ssh(List<String> args, Path stdin) throws Exception {
    List<String> withKey = new ArrayList<>(List.of("-i", dir.resolve("client_key").toString()));
    withKey.addAll(args);
    return sshOnly(withKey, stdin);
  }

  /** Runs the real ssh client with only the identities {@code args} name (not this server's client key). */
  public SshResult sshOnly(List<String> args, Path stdin) throws Exception {
    List<String> command = new ArrayList<>(List.of("ssh", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"));
    command.addAll(args);
    Path out = Files.createTempFile(dir, "ssh", ".out");
    Path err = Files.createTempFile(dir, "ssh", ".err");
    Process ssh = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
            : ProcessBuilder.Redirect.from(stdin.toFile())).start();
    if (!ssh.waitFor(3, TimeUnit.MINUTES)) {
      ssh.destroyForcibly();
      throw new AssertionError("ssh did not finish within 3 minutes: " + Files.readString(err));
    }
    return new SshResult(ssh.exitValue(), Files.readAllBytes(out), Files.readString(err));
  }

  /** What {@link #REMOTE} prints. */
  public static String remoteOutput() throws Exception {
    return "ok\n" + sha256Hex(new byte[50_000_000]) + "  -\n";
  }

  public static String sha256Hex(byte[] data) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
  }

  /** Runs a command to its end; fails with its output unless it exits 0. */
  public static void run(String... command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new AssertionError(String.join(" ", command) + " failed: " + new String(output, StandardCharsets.UTF_8));
    }
  }

  /** The private key of the client key pair (OpenSSH format), which authorized_keys accepts. */
  public Path clientKey() {
    return dir.resolve("client_key");
  }

  /** What sshd logged, for a failing test's message. */
  public String log() throws IOException {
    return Files.readString(dir.resolve("sshd.log"));
  }

  /** Stops sshd and waits for it, so that the files it removes on the way out are gone before its dir is. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
