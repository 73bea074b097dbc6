package dev.outpost.testing;

import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldif.LDIFException;
import com.unboundid.ldif.LDIFReader;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SiteCertificates;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real OpenLDAP {@code slapd} for tests: its own config and mdb database in a temporary directory, run as the
 * current user in the foreground on loopback ports (plain LDAP with StartTLS, and LDAPS), with a certificate
 * from a test CA. Entries are added over LDAP after start so that the memberof overlay fills {@code memberOf}.
 * It can be stopped and started again on the same ports with the same data.
 */
public final class Slapd implements AutoCloseable {

  public static final String SUFFIX = "dc=example,dc=org";
  public static final String ROOT_DN = "cn=admin," + SUFFIX;
  public static final String ROOT_PASSWORD = "root-secret-0123";
  public static final String BINARY = "/usr/sbin/slapd";

  private final Path dir;
  private final int port;
  private final int tlsPort;
  private final SiteCertificates tls;
  private Process process;

  private Slapd(Path dir, int port, int tlsPort, SiteCertificates tls) {
    this.dir = dir;
    this.port = port;
    this.tlsPort = tlsPort;
    this.tls = tls;
  }

  /** Starts slapd in {@code dir} and adds the entries of {@code ldif} (as the root DN). */
  public static Slapd start(Path dir, String ldif) {
    if (!Files.isExecutable(Path.of(BINARY))) {
      throw new IllegalStateException(BINARY + " is missing: install slapd and ldap-utils (./run-tests does)");
    }
    try {
      Files.createDirectories(dir.resolve("data"));
      SiteCertificates tls = SiteCertificates.loadOrCreate(dir.resolve("tls"), "ldap-test", List.of());
      // RSA: GnuTLS (which Debian's slapd uses) does not read the JDK's PKCS#8 encoding of EC keys
      KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
      rsa.initialize(2048);
      KeyPair key = rsa.generateKeyPair();
      Files.writeString(dir.resolve("tls/ldap.crt"), Pem.encode(tls.issue(key, "CN=localhost",
          List.of("localhost", "127.0.0.1"), Duration.ofDays(2), true)));
      Files.writeString(dir.resolve("tls/ldap.key"), Pem.encode(key.getPrivate()));
      Files.writeString(dir.resolve("tls/ca.pem"), tls.caPem());
      Slapd slapd = new Slapd(dir, FreePorts.next(), FreePorts.next(), tls);
      Files.writeString(dir.resolve("slapd.conf"), slapd.config());
      slapd.start();
      slapd.load(ldif);
      return slapd;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("RSA is not available", e);
    }
  }

  private String config() {
    return String.join("\n",
        "include /etc/ldap/schema/core.schema",
        "include /etc/ldap/schema/cosine.schema",
        "include /etc/ldap/schema/inetorgperson.schema",
        "include /etc/ldap/schema/nis.schema",
        "modulepath /usr/lib/ldap",
        "moduleload back_mdb",
        "moduleload memberof",
        "pidfile " + dir.resolve("slapd.pid"),
        "TLSCACertificateFile " + dir.resolve("tls/ca.pem"),
        "TLSCertificateFile " + dir.resolve("tls/ldap.crt"),
        "TLSCertificateKeyFile " + dir.resolve("tls/ldap.key"),
        "database mdb",
        "maxsize 10485760",
        "suffix \"" + SUFFIX + "\"",
        "rootdn \"" + ROOT_DN + "\"",
        "rootpw " + ROOT_PASSWORD,
        "directory " + dir.resolve("data"),
        "overlay memberof",
        "access to attrs=userPassword by anonymous auth by self write by * none",
        "access to * by users read by * none",
        "");
  }

  /** Starts (again) and waits until it accepts LDAP connections. */
  public void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      process = new ProcessBuilder(BINARY, "-d", "0", "-f", dir.resolve("slapd.conf").toString(), "-h",
          url() + " ldaps://127.0.0.1:" + tlsPort + "/")
          .redirectErrorStream(true).redirectOutput(dir.resolve("slapd.log").toFile()).start();
      Poll.until("slapd answering on port " + port, Duration.ofSeconds(30), () -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("slapd exited with " + process.exitValue() + ": " + log());
        }
        try (LDAPConnection c = new LDAPConnection("127.0.0.1", port)) {
          return c.isConnected();
        } catch (LDAPException e) {
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

  /** Stops slapd and waits until it has exited; its data stays for {@link #start()}. */
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

  private void load(String ldif) {
    try (LDAPConnection c = new LDAPConnection("127.0.0.1", port, ROOT_DN, ROOT_PASSWORD);
        LDIFReader reader = new LDIFReader(new ByteArrayInputStream(ldif.getBytes(StandardCharsets.UTF_8)))) {
      for (var entry = reader.readEntry(); entry != null; entry = reader.readEntry()) {
        c.add(entry);
      }
    } catch (LDAPException | LDIFException | IOException e) {
      throw new IllegalStateException("cannot load the test entries into slapd: " + e.getMessage() + "\n" + log(), e);
    }
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("slapd.log"));
    } catch (IOException e) {
      return "(no log)";
    }
  }

  /** {@code ldap://127.0.0.1:PORT} (StartTLS is offered there too). */
  public String url() {
    return "ldap://127.0.0.1:" + port;
  }

  /** {@code ldaps://localhost:PORT}. */
  public String ldapsUrl() {
    return "ldaps://localhost:" + tlsPort;
  }

  public int port() {
    return port;
  }

  /** PEM of the CA that issued slapd's certificate. */
  public String caPem() {
    return tls.caPem();
  }

  @Override
  public void close() {
    stop();
  }
}
