package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Sshd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The site's SSH user CA against a real OpenSSH sshd that trusts it ({@code TrustedUserCAKeys}) and the real
 * {@code ssh} client: a fresh certificate for the host login logs in; an expired one, and one for another login,
 * are refused; every node of a site derives the same CA, another site a different one.
 */
class SshUserCaTest {

  @TempDir
  static Path tmp;
  static SshUserCa ca;
  static Sshd sshd;

  @BeforeAll
  static void sshdTrustingTheSiteCa() throws Exception {
    KeyPairs site = KeyPairs.site();
    ca = SshUserCa.of(site.caKey, "test-site");
    Path trusted = tmp.resolve("outpost-user-ca.pub");
    Files.writeString(trusted, ca.publicKeyLine() + "\n");
    sshd = Sshd.start(tmp.resolve("sshd"), List.of("TrustedUserCAKeys " + trusted));
  }

  @AfterAll
  static void stop() {
    if (sshd != null) {
      sshd.close();
    }
  }

  @Test
  void aFreshCertificateForTheHostLoginLogsIn() throws Exception {
    // GIVEN a certificate the site signed for this host's login, valid for minutes
    SshUserCa.Certified certified = ca.sign("alice@test-site", Sshd.USER, Instant.now(), SshUserCa.DEFAULT_VALIDITY);
    assertThat(certified.certificateLine()).startsWith("ecdsa-sha2-nistp256-cert-v01@openssh.com ");

    // WHEN ssh offers it THEN sshd lets the login in
    Sshd.SshResult result = sshWith(certified, "echo $((6*7))");
    assertThat(result.exitCode()).as(result.stderr() + sshd.log()).isZero();
    assertThat(result.stdoutText()).isEqualTo("42\n");
  }

  @Test
  void anExpiredCertificateIsRefused() throws Exception {
    // GIVEN a certificate that expired a minute ago (made as if two minutes ago, valid for one)
    SshUserCa.Certified expired = ca.sign("alice@test-site", Sshd.USER, Instant.now().minus(Duration.ofMinutes(2)),
        Duration.ofMinutes(1));

    // WHEN ssh offers it THEN the login is refused
    Sshd.SshResult result = sshWith(expired, "echo in");
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stdoutText()).isEmpty();
  }

  @Test
  void aCertificateForAnotherLoginIsRefused() throws Exception {
    // GIVEN a certificate for a login that is not the account ssh logs in to
    SshUserCa.Certified other = ca.sign("alice@test-site", "somebody-else", Instant.now(),
        SshUserCa.DEFAULT_VALIDITY);

    // WHEN ssh offers it for this host's account THEN the login is refused
    Sshd.SshResult result = sshWith(other, "echo in");
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stdoutText()).isEmpty();
  }

  @Test
  void everyNodeOfASiteDerivesTheSameCaAndAnotherSiteADifferentOne() throws Exception {
    KeyPairs site = KeyPairs.site();
    assertThat(SshUserCa.of(site.caKey, "s").publicKeyLine()).isEqualTo(SshUserCa.of(site.caKey, "s").publicKeyLine());
    assertThat(SshUserCa.of(KeyPairs.site().caKey, "s").publicKeyLine())
        .isNotEqualTo(SshUserCa.of(site.caKey, "s").publicKeyLine());
    assertThat(SshUserCa.of(site.caKey, "my site").publicKeyLine()).startsWith("ecdsa-sha2-nistp256 ")
        .endsWith(" outpost-user-ca@my_site");
  }

  /** Runs the real ssh client with the certificate and its key (files as ssh wants them), no other identity. */
  private static Sshd.SshResult sshWith(SshUserCa.Certified certified, String command) throws Exception {
    Path dir = Files.createTempDirectory(tmp, "client");
    Path key = dir.resolve("id_ecdsa");
    Files.writeString(key, certified.privateKeyText());
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(dir.resolve("id_ecdsa-cert.pub"), certified.certificateLine() + "\n");
    return sshd.sshOnly(List.of("-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + key, "-o",
        "CertificateFile=" + dir.resolve("id_ecdsa-cert.pub"), "-p", Integer.toString(sshd.port()),
        Sshd.USER + "@127.0.0.1", command), null);
  }

  /** A site CA key as a node holds it. */
  private record KeyPairs(java.security.PrivateKey caKey) {
    static KeyPairs site() {
      return new KeyPairs(SiteCertificates.newKeyPair().getPrivate());
    }
  }
}
