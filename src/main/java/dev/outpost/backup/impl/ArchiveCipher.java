package dev.outpost.backup.impl;

import dev.outpost.backup.BackupException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * The encrypted envelope of a backup archive: a key derived from a passphrase with argon2id, AES-256-GCM over
 * the content, and a header that is authenticated with it (GCM associated data), so that neither the format
 * version, the KDF parameters nor a single byte of the content can change unnoticed.
 *
 * <pre>
 * offset size
 *      0    8  magic "OUTPOSTB"
 *      8    1  format version (1)
 *      9    1  KDF (1 = argon2id v1.3)
 *     10    4  argon2 memory in KiB (big-endian)
 *     14    4  argon2 iterations
 *     18    1  argon2 parallelism
 *     19   16  salt
 *     35   12  GCM nonce
 *     47   16  passphrase check: argon2 output bytes 32-47 (tells a wrong passphrase from a damaged archive)
 *     63    -  ciphertext with the 16-byte GCM tag
 * </pre>
 */
public final class ArchiveCipher {

  public static final int FORMAT_VERSION = 1;
  static final byte[] MAGIC = "OUTPOSTB".getBytes(StandardCharsets.US_ASCII);
  private static final int KDF_ARGON2ID = 1;
  private static final int SALT_BYTES = 16;
  private static final int NONCE_BYTES = 12;
  private static final int CHECK_BYTES = 16;
  private static final int KEY_BYTES = 32;
  private static final int TAG_BITS = 128;
  static final int HEADER_BYTES = MAGIC.length + 1 + 1 + 4 + 4 + 1 + SALT_BYTES + NONCE_BYTES + CHECK_BYTES;
  /** Bounds for parameters read from a file, so that a crafted header cannot make opening it cost too much. */
  private static final int MAX_MEMORY_KIB = 1024 * 1024;
  private static final int MAX_ITERATIONS = 20;

  /** argon2id with 64 MiB and 3 passes: about a quarter of a second here, once per backup or restore. */
  public static final ArchiveCipher DEFAULT = new ArchiveCipher(64 * 1024, 3, 1);

  private final int memoryKib;
  private final int iterations;
  private final int parallelism;
  private final SecureRandom random = new SecureRandom();

  public ArchiveCipher(int memoryKib, int iterations, int parallelism) {
    this.memoryKib = memoryKib;
    this.iterations = iterations;
    this.parallelism = parallelism;
  }

  /** Encrypts {@code content} under {@code passphrase}; the result is a complete archive file. */
  public byte[] seal(byte[] content, char[] passphrase) {
    byte[] salt = new byte[SALT_BYTES];
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(salt);
    random.nextBytes(nonce);
    byte[] derived = derive(passphrase, salt, memoryKib, iterations, parallelism);
    ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES)
        .put(MAGIC).put((byte) FORMAT_VERSION).put((byte) KDF_ARGON2ID)
        .putInt(memoryKib).putInt(iterations).put((byte) parallelism)
        .put(salt).put(nonce).put(derived, KEY_BYTES, CHECK_BYTES);
    try {
      Cipher gcm = gcm(Cipher.ENCRYPT_MODE, derived, nonce);
      gcm.updateAAD(header.array());
      byte[] sealed = gcm.doFinal(content);
      return ByteBuffer.allocate(HEADER_BYTES + sealed.length).put(header.array()).put(sealed).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    } finally {
      Arrays.fill(derived, (byte) 0);
    }
  }

  /**
   * Decrypts an archive.
   *
   * @throws BackupException saying whether the file is no archive, of an unknown version, opened with the wrong
   *     passphrase, or damaged or changed
   */
  public static byte[] open(byte[] archive, char[] passphrase) {
    if (archive.length < HEADER_BYTES + TAG_BITS / 8
        || !Arrays.equals(Arrays.copyOf(archive, MAGIC.length), MAGIC)) {
      throw new BackupException("not an Outpost backup archive");
    }
    ByteBuffer header = ByteBuffer.wrap(archive, MAGIC.length, HEADER_BYTES - MAGIC.length);
    int version = header.get() & 0xff;
    int kdf = header.get() & 0xff;
    if (version != FORMAT_VERSION || kdf != KDF_ARGON2ID) {
      throw new BackupException("archive format " + version + " (KDF " + kdf + ") is not one this Outpost reads ("
          + FORMAT_VERSION + "); restore it with the Outpost version that wrote it or a newer one");
    }
    int memory = header.getInt();
    int passes = header.getInt();
    int lanes = header.get() & 0xff;
    if (memory < 8 || memory > MAX_MEMORY_KIB || passes < 1 || passes > MAX_ITERATIONS || lanes < 1) {
      throw new BackupException("the archive's header is damaged (KDF parameters out of range)");
    }
    byte[] salt = new byte[SALT_BYTES];
    byte[] nonce = new byte[NONCE_BYTES];
    byte[] check = new byte[CHECK_BYTES];
    header.get(salt).get(nonce).get(check);
    byte[] derived = derive(passphrase, salt, memory, passes, lanes);
    try {
      if (!MessageDigest.isEqual(check, Arrays.copyOfRange(derived, KEY_BYTES, KEY_BYTES + CHECK_BYTES))) {
        throw new BackupException("wrong passphrase for this archive");
      }
      Cipher gcm = gcm(Cipher.DECRYPT_MODE, derived, nonce);
      gcm.updateAAD(archive, 0, HEADER_BYTES);
      return gcm.doFinal(archive, HEADER_BYTES, archive.length - HEADER_BYTES);
    } catch (AEADBadTagException e) {
      throw new BackupException("the archive is damaged or was changed after it was written (authentication "
          + "failed); use another copy");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    } finally {
      Arrays.fill(derived, (byte) 0);
    }
  }

  private static Cipher gcm(int mode, byte[] derived, byte[] nonce) throws GeneralSecurityException {
    Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
    gcm.init(mode, new SecretKeySpec(derived, 0, KEY_BYTES, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    return gcm;
  }

  /** 48 bytes: the AES key (0-31) and the passphrase check (32-47). */
  private static byte[] derive(char[] passphrase, byte[] salt, int memoryKib, int iterations, int parallelism) {
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(memoryKib)
        .withIterations(iterations)
        .withParallelism(parallelism)
        .withSalt(salt)
        .build());
    byte[] out = new byte[KEY_BYTES + CHECK_BYTES];
    generator.generateBytes(passphrase, out);
    return out;
  }
}
