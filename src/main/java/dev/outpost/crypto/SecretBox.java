package dev.outpost.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts small secrets for storage (e.g. a directory's bind password) with AES-256-GCM under a key file
 * that never leaves the data directory. Stored form: base64 of nonce, ciphertext and tag. The purpose is
 * bound in as associated data, so a value cannot be moved to another column or row kind.
 */
public final class SecretBox {

  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  private SecretBox(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** Reads the key file, creating it (owner-only) on first use. Blocking: call at start-up. */
  public static SecretBox loadOrCreate(Path keyFile) throws IOException {
    if (!Files.exists(keyFile)) {
      byte[] fresh = new byte[KEY_BYTES];
      RANDOM.nextBytes(fresh);
      SecureFiles.writePrivate(keyFile, Base64.getEncoder().encodeToString(fresh) + "\n");
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(Files.readString(keyFile, StandardCharsets.US_ASCII).strip());
    } catch (IllegalArgumentException e) {
      throw new IOException("the key file " + keyFile + " is not base64", e);
    }
    if (key.length != KEY_BYTES) {
      throw new IOException("the key file " + keyFile + " must hold " + KEY_BYTES + " bytes (base64)");
    }
    return new SecretBox(key);
  }

  public String seal(String purpose, String secret) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, nonce, purpose);
      byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(ByteBuffer.allocate(nonce.length + sealed.length).put(nonce)
          .put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * The secret sealed under this box's key for this purpose.
   *
   * @throws IllegalArgumentException when the value was sealed under another key or purpose, or was altered
   */
  public String open(String purpose, String sealed) {
    try {
      byte[] raw = Base64.getDecoder().decode(sealed);
      if (raw.length < NONCE_BYTES + TAG_BITS / 8) {
        throw new IllegalArgumentException("sealed value too short");
      }
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, java.util.Arrays.copyOf(raw, NONCE_BYTES), purpose);
      return new String(cipher.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalArgumentException("the secret was sealed under another key (copy <data-dir>/secrets from "
          + "the node that stored it) or was altered", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot open the sealed secret: " + e.getMessage(), e);
    }
  }

  private Cipher cipher(int mode, byte[] nonce, String purpose) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(purpose.getBytes(StandardCharsets.UTF_8));
    return cipher;
  }
}
