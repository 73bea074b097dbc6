package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key and its certificate replaced together: whichever step a process stopped at, recovery leaves a pair that
 * belongs together, the new one wherever both of its halves were written.
 */
class CredentialFilesTest {

  @TempDir
  Path dir;
  SiteCertificates ca;
  CredentialFiles files;
  Pair old;
  Pair renewed;

  record Pair(String keyPem, String certificatePem) {
  }

  @BeforeEach
  void pairs() throws Exception {
    ca = SiteCertificates.loadOrCreate(dir.resolve("ca"), "test", List.of());
    files = CredentialFiles.of(dir.resolve("agent.key"), dir.resolve("agent.crt"));
    old = pair();
    renewed = pair();
    SecureFiles.writePrivate(files.key(), old.keyPem());
    SecureFiles.writePrivate(files.certificate(), old.certificatePem());
  }

  @Test
  void aReplacementSwapsBothFilesOwnerOnlyAndLeavesNothingBehind() throws Exception {
    files.replace(renewed.keyPem(), renewed.certificatePem());

    assertThat(stored()).isEqualTo(renewed);
    for (Path file : List.of(files.key(), files.certificate())) {
      assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }
    try (var listing = Files.list(dir)) {
      assertThat(listing.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("ca", "agent.key",
          "agent.crt");
    }
  }

  @Test
  void recoveryAfterAStopAtEachStepLeavesAPairThatBelongsTogether() throws Exception {
    record Step(String name, boolean nextKey, boolean nextCertificate, boolean keyMoved, Pair expected) {
    }
    for (Step step : new Step[] {
        // stopped while the new key was being written: the old pair stays
        new Step("new key only", true, false, false, null),
        // both new halves written, none moved yet: the new pair is whole, so it is taken
        new Step("both written", true, true, false, null),
        // the key moved over, the certificate not yet: the certificate follows
        new Step("key moved", false, true, true, null)}) {
      pairs();
      if (step.nextKey()) {
        SecureFiles.writePrivate(next(files.key()), renewed.keyPem());
      }
      if (step.nextCertificate()) {
        SecureFiles.writePrivate(next(files.certificate()), renewed.certificatePem());
      }
      if (step.keyMoved()) {
        SecureFiles.writePrivate(files.key(), renewed.keyPem());
      }

      files.recover();

      Pair expected = step.nextCertificate() ? renewed : old;
      assertThat(stored()).as(step.name()).isEqualTo(expected);
      assertThat(next(files.key())).as(step.name()).doesNotExist();
      assertThat(next(files.certificate())).as(step.name()).doesNotExist();
    }
  }

  @Test
  void aWaitingCertificateOfAnotherKeyIsDropped() throws Exception {
    SecureFiles.writePrivate(next(files.certificate()), pair().certificatePem());

    files.recover();

    assertThat(stored()).isEqualTo(old);
    assertThat(next(files.certificate())).doesNotExist();
  }

  private Pair pair() {
    KeyPair key = SiteCertificates.newKeyPair();
    return new Pair(Pem.encode(key.getPrivate()), Pem.encode(ca.issue(key, "CN=host", List.of(), Duration.ofDays(1),
        false)));
  }

  private Pair stored() throws Exception {
    return new Pair(Files.readString(files.key()), Files.readString(files.certificate()));
  }

  private static Path next(Path file) {
    return file.resolveSibling(file.getFileName() + ".next");
  }
}
