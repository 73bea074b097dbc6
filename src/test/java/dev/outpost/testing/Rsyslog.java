package dev.outpost.testing;

import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SiteCertificates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real rsyslog from Debian as a syslog collector for tests: TLS (its GnuTLS network stream driver) on a loopback
 * port with a certificate for {@code localhost} and {@code 127.0.0.1} from a test CA, each message received written as
 * it came ({@code %rawmsg%}) on a line of {@link #received()}. Run as the current user in the foreground; it can be
 * stopped and started again on the same port, appending to the same file.
 */
public final class Rsyslog implements AutoCloseable {

  public static final String BINARY = "/usr/sbin/rsyslogd";

  private final Path dir;
  private final int port;
  private Process process;

  private Rsyslog(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  /** Makes the collector's certificate and configuration in {@code dir} and starts it. */
  public static Rsyslog start(Path dir) {
    if (!Files.isExecutable(Path.of(BINARY))) {
      throw new IllegalStateException(BINARY + " is missing: install rsyslog and rsyslog-gnutls (./run-tests does)");
    }
    try {
      Files.createDirectories(dir.resolve("work"));
      SiteCertificates ca = SiteCertificates.loadOrCreate(dir.resolve("tls"), "syslog-test", List.of());
      // RSA: GnuTLS does not read the JDK's PKCS#8 encoding of EC keys
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      KeyPair key = rsa.generateKeyPair();
      Files.writeString(dir.resolve("tls/collector.crt"), Pem.encode(ca.issue(key, "CN=localhost",
          List.of("localhost", "127.0.0.1"), Duration.ofDays(2), true)));
      Files.writeString(dir.resolve("tls/collector.key"), Pem.encode(key.getPrivate()));
      Files.writeString(dir.resolve("tls/ca.pem"), ca.caPem());
      Rsyslog rsyslog = new Rsyslog(dir, FreePorts.next());
      Files.writeString(dir.resolve("rsyslog.conf"), rsyslog.config());
      rsyslog.start();
      return rsyslog;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA is not available", e);
    }
  }

  private String config() {
    return String.join("\n",
        "global(workDirectory=\"" + dir.resolve("work") + "\" maxMessageSize=\"64k\"",
        "  DefaultNetstreamDriver=\"gtls\"",
        "  DefaultNetstreamDriverCAFile=\"" + dir.resolve("tls/ca.pem") + "\"",
        "  DefaultNetstreamDriverCertFile=\"" + dir.resolve("tls/collector.crt") + "\"",
        "  DefaultNetstreamDriverKeyFile=\"" + dir.resolve("tls/collector.key") + "\")",
        "module(load=\"imtcp\" StreamDriver.Name=\"gtls\" StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")",
        "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"" + port + "\")",
        "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\\n\")",
        "action(type=\"omfile\" file=\"" + received() + "\" template=\"raw\")",
        "");
  }

  /** Starts (again) and waits until it accepts connections on its port. */
  public void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      process = new ProcessBuilder(BINARY, "-n", "-f", dir.resolve("rsyslog.conf").toString(), "-i",
          dir.resolve("rsyslogd.pid").toString())
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("rsyslogd.log")
              .toFile())).start();
      Poll.until("rsyslog listening on port " + port, Duration.ofSeconds(30), () -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("rsyslogd exited with " + process.exitValue() + ": " + log());
        }
        try (Socket probe = new Socket()) {
          probe.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
          return true;
        } catch (IOException e) {
          return false;
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Stops rsyslog (SIGTERM, as a service restart does) and waits until it has exited. */
  public void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process = null;
  }

  /** The file every received message is written to, one a line. */
  public Path received() {
    return dir.resolve("received.log");
  }

  /** The messages received so far, in the order rsyslog wrote them. */
  public List<String> messages() {
    try {
      return Files.exists(received()) ? Files.readAllLines(received(), StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code localhost:PORT}. */
  public String address() {
    return "localhost:" + port;
  }

  /** The PEM file of the CA that issued rsyslog's certificate. */
  public Path caFile() {
    return dir.resolve("tls/ca.pem");
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("rsyslogd.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  @Override
  public void close() {
    stop();
  }
}
