package dev.outpost.crypto;

import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals the site CA's private key for the nodes of one site, so that a node joining the cluster can adopt the CA
 * instead of making its own. The key is encrypted with AES-256-GCM under a key derived from {@code cluster.secret}
 * (HMAC-SHA256 of a fresh salt per sealing): the cluster's traffic is not encrypted, so only a node that knows the
 * secret can read it. The CA certificate's fingerprint is bound in as associated data, so a sealed key cannot be
 * passed off with another certificate.
 *
 * <p>No slow password hash: the cluster name the members exchange in clear already carries an HMAC of the secret
 * ({@code cluster.secret}), so the secret must be long and random anyway (e.g. {@code openssl rand -hex 32}), and
 * a slow hash would only cost every joining node seconds of start-up on a cold JVM.
 *
 * <p>Sealed form: base64 of salt (16 bytes), nonce (12), ciphertext with the 16-byte tag.
 */
public final class SiteCaSeal {

  private static final int SALT_BYTES = 16;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final String PURPOSE = "outpost-site-ca-key/v1\n";
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The site CA as the members publish it: the certificate in clear, the private key sealed. */
  public record Sealed(String caPem, String sealedKey) {

    public Sealed {
      Objects.requireNonNull(caPem);
      Objects.requireNonNull(sealedKey);
    }

    public JsonObject toJson() {
      return new JsonObject().put("ca", caPem).put("key", sealedKey);
    }

    /** @throws IllegalArgumentException when a field is missing */
    public static Sealed fromJson(JsonObject json) {
      if (!(json.getValue("ca") instanceof String ca) || !(json.getValue("key") instanceof String key)) {
        throw new IllegalArgumentException("the published site CA lacks its certificate or key");
      }
      return new Sealed(ca, key);
    }

    /** The compact SHA-256 fingerprint of the certificate. */
    public String caFingerprint() {
      return fingerprint(caPem);
    }
  }

  private final SecretKeySpec secret;

  private SiteCaSeal(String secret) {
    this.secret = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  /** A seal under {@code cluster.secret}, which must not be empty. */
  public static SiteCaSeal of(String clusterSecret) {
    if (Objects.requireNonNull(clusterSecret).isEmpty()) {
      throw new IllegalArgumentException("the site CA is only shared under a cluster.secret");
    }
    return new SiteCaSeal(clusterSecret);
  }

  /** Seals this node's site CA for the other members. */
  public Sealed seal(SiteCertificates site) {
    String caPem = site.caPem();
    byte[] salt = new byte[SALT_BYTES];
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(salt);
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, salt, nonce, fingerprint(caPem));
      byte[] sealed = cipher.doFinal(site.caKeyPem().getBytes(StandardCharsets.US_ASCII));
      return new Sealed(caPem, Base64.getEncoder().encodeToString(ByteBuffer.allocate(SALT_BYTES + NONCE_BYTES
          + sealed.length).put(salt).put(nonce).put(sealed).array()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM or HmacSHA256 is not available", e);
    }
  }

  /**
   * The CA's private key (PEM).
   *
   * @throws IllegalArgumentException when the key was sealed under another secret, or the key or certificate was
   *     changed on the way
   */
  public String openKey(Sealed sealed) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(sealed.sealedKey());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the sealed site CA key is not base64");
    }
    if (raw.length < SALT_BYTES + NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalArgumentException("the sealed site CA key is too short");
    }
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, Arrays.copyOf(raw, SALT_BYTES),
          Arrays.copyOfRange(raw, SALT_BYTES, SALT_BYTES + NONCE_BYTES), sealed.caFingerprint());
      int offset = SALT_BYTES + NONCE_BYTES;
      return new String(cipher.doFinal(raw, offset, raw.length - offset), StandardCharsets.US_ASCII);
    } catch (AEADBadTagException e) {
      throw new IllegalArgumentException("the site CA key was sealed under another cluster.secret, or it or its "
          + "certificate was altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM or HmacSHA256 is not available", e);
    }
  }

  private Cipher cipher(int mode, byte[] salt, byte[] nonce, String caFingerprint) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(secret);
    mac.update(PURPOSE.getBytes(StandardCharsets.US_ASCII));
    byte[] key = mac.doFinal(salt);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD((PURPOSE + caFingerprint).getBytes(StandardCharsets.US_ASCII));
      return cipher;
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  private static String fingerprint(String caPem) {
    try {
      X509Certificate ca = Pem.parseCertificate(caPem);
      return Fingerprints.sha256(ca);
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalArgumentException("the published site CA certificate cannot be read: " + e.getMessage());
    }
  }
}
