package dev.outpost.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sealed secrets open only under their key and purpose, and the key file is private. */
class SecretBoxTest {

  @TempDir
  Path tmp;

  @Test
  void aSealedSecretOpensUnderTheSameKeyAndPurposeOnly() throws Exception {
    // GIVEN a key created on first use, and a secret sealed under it
    Path keyFile = tmp.resolve("secrets/directory.key");
    SecretBox box = SecretBox.loadOrCreate(keyFile);
    String sealed = box.seal("purpose-a", "bind-secret-ü");

    // THEN the stored form does not show the secret, the same key (read again) opens it, and the file is private
    assertThat(sealed).doesNotContain("bind-secret");
    assertThat(SecretBox.loadOrCreate(keyFile).open("purpose-a", sealed)).isEqualTo("bind-secret-ü");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
    assertThat(box.seal("purpose-a", "bind-secret-ü")).isNotEqualTo(sealed);

    // AND another purpose, another key or a changed byte do not open it
    assertThatThrownBy(() -> box.open("purpose-b", sealed)).isInstanceOf(IllegalArgumentException.class);
    SecretBox other = SecretBox.loadOrCreate(tmp.resolve("other.key"));
    assertThatThrownBy(() -> other.open("purpose-a", sealed)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("another key");
    byte[] raw = java.util.Base64.getDecoder().decode(sealed);
    raw[raw.length - 1] ^= 1;
    String altered = java.util.Base64.getEncoder().encodeToString(raw);
    assertThatThrownBy(() -> box.open("purpose-a", altered)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aKeySealedUnderAnotherOpensUnderThatKeyOnly() throws Exception {
    // GIVEN a box's key sealed under a wrapping key (as the database keeps it under cluster.secret)
    SecretBox box = SecretBox.loadOrCreate(tmp.resolve("secrets/directory.key"));
    SecretBox wrapping = SecretBox.of(new byte[32]);
    String sealed = box.sealedUnder(wrapping);

    // THEN the wrapping key opens it to the same key, which opens what the box sealed
    SecretBox opened = SecretBox.unsealWith(wrapping, sealed);
    assertThat(opened.sameKeyAs(box)).isTrue();
    assertThat(opened.open("purpose-a", box.seal("purpose-a", "bind-secret"))).isEqualTo("bind-secret");
    assertThat(SecretBox.generate().sameKeyAs(box)).isFalse();

    // AND another wrapping key does not open it, nor does the box's key as a secret of another purpose
    assertThatThrownBy(() -> SecretBox.unsealWith(SecretBox.generate(), sealed))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> wrapping.open("purpose-a", sealed)).isInstanceOf(IllegalArgumentException.class);

    // AND a key file read back holds the same key, and a missing one is none
    opened.write(tmp.resolve("copy.key"));
    assertThat(SecretBox.read(tmp.resolve("copy.key")).orElseThrow().sameKeyAs(box)).isTrue();
    assertThat(SecretBox.read(tmp.resolve("missing.key"))).isEmpty();
  }
}
