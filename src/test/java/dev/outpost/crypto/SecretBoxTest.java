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
}
