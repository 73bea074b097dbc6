package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site CA rotation as the JDK's own TLS checks see it: during the overlap the node's chain is accepted by a
 * client that trusts only the old CA, only the new one, or pins either by fingerprint; after it, by the new CA only.
 */
class SiteCaRotationTest {

  @TempDir
  Path tmp;
  SiteCertificates site;
  X509Certificate oldCa;

  @BeforeEach
  void site() throws Exception {
    site = SiteCertificates.loadOrCreate(tmp.resolve("tls"), "rotating", List.of("node-1.example"));
    oldCa = site.caCertificate();
  }

  @Test
  void duringTheOverlapClientsTrustingEitherCaAcceptTheNodeAndNewCertificatesComeFromTheNewCa() throws Exception {
    // GIVEN a client that trusts the old CA only, as agents and clients did before the rotation
    X509TrustManager oldOnly = trusting(oldCa);
    List<SiteCertificates.Change> heard = new ArrayList<>();
    site.onChange(heard::add);

    // WHEN the site CA is rotated with a day of overlap
    SiteCaRollover rollover = site.beginRotation("rotating", Duration.ofDays(1));
    assertThat(site.adopt(rollover)).isTrue();

    // THEN the node issues from the new CA, and trusts both
    X509Certificate newCa = site.caCertificate();
    assertThat(Fingerprints.sha256(newCa)).isNotEqualTo(Fingerprints.sha256(oldCa));
    assertThat(newCa.getSubjectX500Principal()).isNotEqualTo(oldCa.getSubjectX500Principal());
    assertThat(site.trustedCas()).containsExactly(newCa, oldCa);
    assertThat(heard).containsExactly(SiteCertificates.Change.TRUSTED_CAS);
    site.nodeCertificate().verify(newCa.getPublicKey());
    X509Certificate agent = site.issue(SiteCertificates.newKeyPair(), "CN=host", List.of(), Duration.ofDays(1), false);
    agent.verify(newCa.getPublicKey());
    assertThat(site.issuerOf(agent)).contains(newCa);

    // AND the chain it presents is ordered as key stores require (each issuer the next one's subject), and is
    // accepted by old-only, new-only and both-trusting clients, and by pinning either
    X509Certificate[] chain = Pem.parseCertificates(site.chainPem()).toArray(X509Certificate[]::new);
    assertThat(chain).containsExactly(site.nodeCertificate(), newCa, rollover.rotation().cross(), oldCa);
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("node", site.nodeKey(), new char[0], chain);
    assertThatCode(() -> oldOnly.checkServerTrusted(chain, "ECDHE_ECDSA")).doesNotThrowAnyException();
    assertThatCode(() -> trusting(newCa).checkServerTrusted(chain, "ECDHE_ECDSA")).doesNotThrowAnyException();
    assertThatCode(() -> trusting(newCa, oldCa).checkServerTrusted(chain, "ECDHE_ECDSA")).doesNotThrowAnyException();
    assertThatCode(() -> PinnedCaTrust.of(Fingerprints.sha256(oldCa)).checkServerTrusted(chain, "ECDHE_ECDSA"))
        .doesNotThrowAnyException();
    assertThatCode(() -> PinnedCaTrust.of(Fingerprints.sha256(newCa)).checkServerTrusted(chain, "ECDHE_ECDSA"))
        .doesNotThrowAnyException();
    // a client at first contact is shown the new CA
    PinnedCaTrust discovering = PinnedCaTrust.discovering();
    assertThatThrownBy(() -> discovering.checkServerTrusted(chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
    assertThat(discovering.presentedCa()).isEqualTo(newCa);

    // AND a restart in the overlap finds all of it again, owner-only on disk
    SiteCertificates restarted = SiteCertificates.loadOrCreate(tmp.resolve("tls"), "ignored",
        List.of("node-1.example"));
    assertThat(restarted.caCertificate()).isEqualTo(newCa);
    assertThat(restarted.trustedCas()).containsExactly(newCa, oldCa);
    assertThat(restarted.nodeCertificate()).isEqualTo(site.nodeCertificate());
    for (String file : List.of("ca.crt", "ca.key", "ca-retired.crt", "ca-cross.crt", "ca-rotation.json")) {
      assertThat(Files.getPosixFilePermissions(tmp.resolve("tls").resolve(file))).as(file)
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
  }

  @Test
  void whenTheOverlapEndsOnlyTheNewCaIsTrustedAndSent() throws Exception {
    // GIVEN a rotation whose overlap has run out
    SiteCaRollover rollover = site.beginRotation("rotating", Duration.ofDays(1));
    site.adopt(rollover);
    X509Certificate newCa = site.caCertificate();

    // WHEN the node ends it
    assertThat(site.endOverlapIfDue(Instant.now())).isFalse();
    assertThat(site.endOverlapIfDue(Instant.now().plus(Duration.ofDays(2)))).isTrue();

    // THEN the old CA is neither trusted nor in the chain, and its files are gone
    assertThat(site.trustedCas()).containsExactly(newCa);
    X509Certificate[] chain = Pem.parseCertificates(site.chainPem()).toArray(X509Certificate[]::new);
    assertThat(chain).containsExactly(site.nodeCertificate(), newCa);
    assertThatThrownBy(() -> trusting(oldCa).checkServerTrusted(chain, "ECDHE_ECDSA"))
        .isInstanceOf(CertificateException.class);
    assertThat(tmp.resolve("tls/ca-retired.crt")).doesNotExist();
    assertThat(tmp.resolve("tls/ca-rotation.json")).doesNotExist();
  }

  @Test
  void aRolloverOfAnotherCaIsRefusedAndOneSeenTwiceChangesNothing() throws Exception {
    SiteCertificates stranger = SiteCertificates.loadOrCreate(tmp.resolve("other"), "other", List.of());
    SiteCaRollover foreign = stranger.beginRotation("other", Duration.ofDays(1));

    assertThatThrownBy(() -> site.adopt(foreign)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not this node's");

    SiteCaRollover rollover = site.beginRotation("rotating", Duration.ofDays(1));
    assertThat(site.adopt(rollover)).isTrue();
    assertThat(site.adopt(rollover)).isFalse();
  }

  @Test
  void aRotationSealedUnderTheSecretOpensOnAnotherNodeAndAlteredItDoesNot() {
    SiteCaSeal seal = SiteCaSeal.of("site-secret-1");
    SiteCaRollover rollover = site.beginRotation("rotating", Duration.ofDays(1));

    SiteCaSeal.Sealed sealed = seal.seal(rollover);
    SiteCaRollover opened = seal.open(SiteCaSeal.Sealed.fromJson(sealed.toJson()));

    assertThat(opened.ca()).isEqualTo(rollover.ca());
    assertThat(opened.rotation()).isEqualTo(rollover.rotation());
    assertThatThrownBy(() -> SiteCaSeal.of("site-secret-2").open(sealed)).isInstanceOf(IllegalArgumentException.class);
    // the rotation sealed for another CA (its fingerprint is bound in) does not open with this one
    SiteCaSeal.Sealed swapped = new SiteCaSeal.Sealed(sealed.caPem(), sealed.sealedKey(),
        seal.seal(site.beginRotation("rotating", Duration.ofDays(1))).sealedRotation());
    assertThatThrownBy(() -> seal.open(swapped)).isInstanceOf(IllegalArgumentException.class);
  }

  private static X509TrustManager trusting(X509Certificate... cas) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    for (int i = 0; i < cas.length; i++) {
      store.setCertificateEntry("ca-" + i, cas[i]);
    }
    TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
    factory.init(store);
    return (X509TrustManager) factory.getTrustManagers()[0];
  }
}
