package dev.outpost.crypto;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts small secrets for storage (e.g. a directory's bind password) with AES-256-GCM under one key: a key file
 * of the data directory, which an appliance also keeps in its database sealed under {@code cluster.secret} (see
 * {@code db/StoredSecretsKey}). Stored form: base64 of nonce, ciphertext and tag. The purpose is bound in as
 * associated data, so a value cannot be moved to another column or row kind.
 */
public final class SecretBox {

  private static final int KEY_BYTES = 32;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Associated data of a box's key sealed under another box's. */
  private static final String WRAPPED_KEY = "outpost/secret-box-key/v1";

  private final SecretKeySpec key;

  private SecretBox(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
  }

  /** Reads the key file, creating it (owner-only) on first use. Blocking: call at start-up. */
  public static SecretBox loadOrCreate(Path keyFile) throws IOException {
    Optional<SecretBox> kept = read(keyFile);
    if (kept.isPresent()) {
      return kept.get();
    }
    SecretBox fresh = generate();
    fresh.write(keyFile);
    return fresh;
  }

  /** The key in {@code keyFile}, or empty when there is no such file. Blocking. */
  public static Optional<SecretBox> read(Path keyFile) throws IOException {
    if (!Files.exists(keyFile)) {
      return Optional.empty();
    }
    try {
      return Optional.of(of(Base64.getDecoder().decode(Files.readString(keyFile, StandardCharsets.US_ASCII).strip())));
    } catch (IllegalArgumentException e) {
      throw new IOException("the key file " + keyFile + " must hold " + KEY_BYTES + " bytes in base64", e);
    }
  }

  /** A new random key. */
  public static SecretBox generate() {
    byte[] fresh = new byte[KEY_BYTES];
    RANDOM.nextBytes(fresh);
    return new SecretBox(fresh);
  }

  /**
   * A box over a key of {@value #KEY_BYTES} bytes (e.g. one derived from {@code cluster.secret}).
   *
   * @throws IllegalArgumentException for a key of another length
   */
  public static SecretBox of(byte[] key) {
    if (key.length != KEY_BYTES) {
      throw new IllegalArgumentException("a key of " + KEY_BYTES + " bytes is needed, not " + key.length);
    }
    return new SecretBox(key);
  }

  /** Writes this box's key to {@code keyFile}, readable by its owner only. Blocking. */
  public void write(Path keyFile) throws IOException {
    SecureFiles.writePrivate(keyFile, Base64.getEncoder().encodeToString(key.getEncoded()) + "\n");
  }

  /** This box's key sealed under {@code wrapping}, to be stored where others who know that key open it. */
  public String sealedUnder(SecretBox wrapping) {
    return wrapping.seal(WRAPPED_KEY, Base64.getEncoder().encodeToString(key.getEncoded()));
  }

  /**
   * The box whose key {@link #sealedUnder} sealed.
   *
   * @throws IllegalArgumentException when it was sealed under another key than {@code wrapping}, or was altered
   */
  public static SecretBox unsealWith(SecretBox wrapping, String sealed) {
    return of(Base64.getDecoder().decode(wrapping.open(WRAPPED_KEY, sealed)));
  }

  /** Whether both boxes seal under the same key (compared in constant time). */
  public boolean sameKeyAs(SecretBox other) {
    return MessageDigest.isEqual(key.getEncoded(), other.key.getEncoded());
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
      throw new IllegalArgumentException("the secret was sealed under another key (another "
          + "secrets/directory.key than the one it was stored with) or was altered", e);
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
