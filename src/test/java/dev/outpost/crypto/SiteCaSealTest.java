package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The site CA as members of a cluster share it: sealed under cluster.secret, adopted by a joining node. */
class SiteCaSealTest {

  @TempDir
  Path tmp;
  SiteCertificates site;

  @BeforeEach
  void site() throws Exception {
    site = SiteCertificates.loadOrCreate(tmp.resolve("first/tls"), "test", List.of());
  }

  @Test
  void aNodeWithTheSameSecretOpensTheKey() {
    SiteCaSeal.Sealed sealed = SiteCaSeal.of("site-secret-1").seal(site);

    assertThat(SiteCaSeal.of("site-secret-1").openKey(sealed)).isEqualTo(site.caKeyPem());
    assertThat(sealed.caFingerprint()).isEqualTo(site.caFingerprint());
    assertThat(sealed.sealedKey()).doesNotContain("PRIVATE KEY");
    assertThat(SiteCaSeal.Sealed.fromJson(sealed.toJson())).isEqualTo(sealed);
  }

  @Test
  void aWrongSecretFails() {
    SiteCaSeal.Sealed sealed = SiteCaSeal.of("site-secret-1").seal(site);

    assertThatThrownBy(() -> SiteCaSeal.of("site-secret-2").openKey(sealed))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another cluster.secret");
  }

  @Test
  void anyChangedByteOfTheSealedKeyFails() {
    SiteCaSeal seal = SiteCaSeal.of("site-secret-1");
    byte[] raw = Base64.getDecoder().decode(seal.seal(site).sealedKey());
    // a byte of the salt, of the nonce, of the ciphertext and of the tag
    for (int index : new int[] {0, 20, 40, raw.length - 1}) {
      byte[] changed = raw.clone();
      changed[index] ^= 1;
      SiteCaSeal.Sealed tampered = new SiteCaSeal.Sealed(site.caPem(), Base64.getEncoder().encodeToString(changed));
      assertThatThrownBy(() -> seal.openKey(tampered)).as("byte " + index).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> seal.openKey(new SiteCaSeal.Sealed(site.caPem(), "AAAA")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too short");
  }

  @Test
  void theKeyCannotBePassedOffWithAnotherCertificate() throws Exception {
    SiteCaSeal seal = SiteCaSeal.of("site-secret-1");
    SiteCertificates other = SiteCertificates.loadOrCreate(tmp.resolve("other/tls"), "other", List.of());
    SiteCaSeal.Sealed swapped = new SiteCaSeal.Sealed(other.caPem(), seal.seal(site).sealedKey());

    assertThatThrownBy(() -> seal.openKey(swapped)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anAdoptedCaIssuesThisNodesCertificateAndIsStoredOwnerOnly() throws Exception {
    Path tls = tmp.resolve("second/tls");
    assertThat(SiteCertificates.hasCa(tls)).isFalse();

    SiteCertificates adopted = SiteCertificates.adopt(tls, site.caPem(), site.caKeyPem(), List.of("node-2.example"));

    assertThat(adopted.caFingerprint()).isEqualTo(site.caFingerprint());
    assertThat(adopted.created()).isFalse();
    adopted.nodeCertificate().verify(site.caCertificate().getPublicKey());
    assertThat(adopted.nodeCertificate().getSubjectAlternativeNames().toString()).contains("node-2.example");
    for (String file : List.of("ca.crt", "ca.key", "node.crt", "node.key")) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tls.resolve(file)))).as(file)
          .isEqualTo("rw-------");
    }
    assertThat(SiteCertificates.loadOrCreate(tls, "ignored", List.of("node-2.example")).caFingerprint())
        .isEqualTo(site.caFingerprint());
  }

  @Test
  void aKeyThatIsNotTheCertificatesIsNotAdopted() throws Exception {
    SiteCertificates other = SiteCertificates.loadOrCreate(tmp.resolve("other/tls"), "other", List.of());
    Path tls = tmp.resolve("second/tls");

    assertThatThrownBy(() -> SiteCertificates.adopt(tls, site.caPem(), other.caKeyPem(), List.of()))
        .hasMessageContaining("does not belong");
    assertThat(SiteCertificates.hasCa(tls)).isFalse();
  }
}
