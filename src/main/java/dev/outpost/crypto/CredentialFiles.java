package dev.outpost.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * A private key and its certificate in two owner-only files that are replaced together: a process that stops
 * half-way through a replacement finds the old pair or the new one at its next {@link #recover}, never a key with
 * another key's certificate. Used for renewed certificates (an agent's, a connector's, a node's).
 *
 * <p>A replacement writes {@code <key>.next} and then {@code <certificate>.next} (each owner-only and complete, see
 * {@link SecureFiles}), then moves the key over the old one and the certificate over its old one. A certificate
 * waiting in {@code .next} therefore means its key was written in full; {@link #recover} finishes the moves when the
 * waiting files belong together, and drops them otherwise. Blocking: call from a worker.
 */
public final class CredentialFiles {

  private static final String NEXT = ".next";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path key;
  private final Path certificate;

  private CredentialFiles(Path key, Path certificate) {
    this.key = Objects.requireNonNull(key);
    this.certificate = Objects.requireNonNull(certificate);
  }

  /** The pair kept in {@code key} and {@code certificate}. */
  public static CredentialFiles of(Path key, Path certificate) {
    return new CredentialFiles(key, certificate);
  }

  public Path key() {
    return key;
  }

  public Path certificate() {
    return certificate;
  }

  /** Replaces the pair with {@code keyPem} and {@code certificatePem}; {@link #recover} completes it after a crash. */
  public void replace(String keyPem, String certificatePem) throws IOException {
    SecureFiles.writePrivate(next(key), keyPem);
    SecureFiles.writePrivate(next(certificate), certificatePem);
    move(next(key), key);
    move(next(certificate), certificate);
  }

  /**
   * Finishes or drops a replacement that a stopped process left half-done, so that the key and certificate files
   * belong together again (if they did before it began). Does nothing when none was under way.
   */
  public void recover() throws IOException {
    Path nextKey = next(key);
    Path nextCertificate = next(certificate);
    if (!Files.exists(nextCertificate)) {
      // the certificate is written second: without it the new key may be partial, and the old pair is whole
      Files.deleteIfExists(nextKey);
      return;
    }
    boolean keyWaits = Files.exists(nextKey);
    Path keyToUse = keyWaits ? nextKey : key;
    if (Files.exists(keyToUse) && belong(keyToUse, nextCertificate)) {
      if (keyWaits) {
        move(nextKey, key);
      }
      move(nextCertificate, certificate);
    } else {
      Files.deleteIfExists(nextCertificate);
      Files.deleteIfExists(nextKey);
    }
  }

  private static boolean belong(Path keyFile, Path certificateFile) {
    try {
      return matches(Pem.readPrivateKey(keyFile), Pem.readCertificate(certificateFile));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Whether {@code key} is the private half of the certificate's public key (EC or RSA). */
  public static boolean matches(PrivateKey key, X509Certificate certificate) {
    String algorithm = switch (key.getAlgorithm()) {
      case "EC", "ECDSA" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> null;
    };
    if (algorithm == null) {
      return false;
    }
    try {
      byte[] probe = new byte[32];
      RANDOM.nextBytes(probe);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The text of a PEM file, as the pair's readers expect it. */
  public static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.US_ASCII);
  }

  private static Path next(Path file) {
    return file.resolveSibling(file.getFileName() + NEXT);
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
