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
 *
 * <p>During a rotation's overlap the published CA also carries the rotation (the old CA, the new CA certified by it,
 * the end of the overlap) sealed the same way under a purpose of its own: what it names becomes trusted, so it must
 * come from a node that knows the secret. Nodes that do not know the field ignore it.
 */
public final class SiteCaSeal {

  private static final int SALT_BYTES = 16;
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final String PURPOSE = "outpost-site-ca-key/v1\n";
  private static final String ROTATION_PURPOSE = "outpost-site-ca-rotation/v1\n";
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * The site CA as the members publish it: the certificate in clear, the private key sealed, and the rotation whose
   * overlap runs ({@code null} when none), sealed.
   */
  public record Sealed(String caPem, String sealedKey, String sealedRotation) {

    public Sealed {
      Objects.requireNonNull(caPem);
      Objects.requireNonNull(sealedKey);
    }

    public Sealed(String caPem, String sealedKey) {
      this(caPem, sealedKey, null);
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("ca", caPem).put("key", sealedKey);
      return sealedRotation == null ? json : json.put("rotation", sealedRotation);
    }

    /** @throws IllegalArgumentException when a field is missing */
    public static Sealed fromJson(JsonObject json) {
      if (!(json.getValue("ca") instanceof String ca) || !(json.getValue("key") instanceof String key)) {
        throw new IllegalArgumentException("the published site CA lacks its certificate or key");
      }
      return new Sealed(ca, key, json.getValue("rotation") instanceof String rotation ? rotation : null);
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

  /** Seals this node's site CA (and the rotation whose overlap runs, if any) for the other members. */
  public Sealed seal(SiteCertificates site) {
    return seal(site.current());
  }

  /** Seals a site CA with its key and rotation, e.g. the new one of a rotation, for every member. */
  public Sealed seal(SiteCaRollover rollover) {
    String caPem = Pem.encode(rollover.ca());
    String fingerprint = rollover.caFingerprint();
    String key = seal(PURPOSE, fingerprint, Pem.encode(rollover.key()));
    SiteCertificates.Rotation rotation = rollover.rotation();
    String sealedRotation = rotation == null ? null : seal(ROTATION_PURPOSE, fingerprint, new JsonObject()
        .put("retired", Pem.encode(rotation.retired())).put("cross", Pem.encode(rotation.cross()))
        .put("overlapUntil", rotation.overlapUntil().toString()).encode());
    return new Sealed(caPem, key, sealedRotation);
  }

  /**
   * The published CA with its key and rotation, as this node adopts it.
   *
   * @throws IllegalArgumentException when it was sealed under another secret or altered, or its parts do not fit
   */
  public SiteCaRollover open(Sealed sealed) {
    try {
      java.security.PrivateKey key = Pem.parsePrivateKey(openKey(sealed));
      X509Certificate ca = Pem.parseCertificate(sealed.caPem());
      SiteCertificates.Rotation rotation = null;
      if (sealed.sealedRotation() != null) {
        JsonObject opened = new JsonObject(open(ROTATION_PURPOSE, sealed.caFingerprint(), sealed.sealedRotation(),
            "rotation"));
        rotation = new SiteCertificates.Rotation(Pem.parseCertificate(field(opened, "retired")),
            Pem.parseCertificate(field(opened, "cross")), java.time.Instant.parse(field(opened, "overlapUntil")));
        if (!CertificateRequests.sameKey(rotation.cross().getPublicKey(), ca.getPublicKey())) {
          throw new IllegalArgumentException("the rotation's cross certificate does not certify the published CA");
        }
      }
      if (!CredentialFiles.matches(key, ca)) {
        throw new IllegalArgumentException("the published site CA key does not belong to its certificate");
      }
      return new SiteCaRollover(ca, key, rotation);
    } catch (java.io.IOException | java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("the published site CA cannot be read: " + e.getMessage());
    }
  }

  private static String field(JsonObject json, String name) {
    if (!(json.getValue(name) instanceof String value)) {
      throw new IllegalArgumentException("the published site CA rotation lacks '" + name + "'");
    }
    return value;
  }

  private String seal(String purpose, String caFingerprint, String plain) {
    byte[] salt = new byte[SALT_BYTES];
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(salt);
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, purpose, salt, nonce, caFingerprint);
      byte[] sealed = cipher.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      return Base64.getEncoder().encodeToString(ByteBuffer.allocate(SALT_BYTES + NONCE_BYTES + sealed.length)
          .put(salt).put(nonce).put(sealed).array());
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
    return open(PURPOSE, sealed.caFingerprint(), sealed.sealedKey(), "key");
  }

  private String open(String purpose, String caFingerprint, String sealed, String what) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(sealed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the sealed site CA " + what + " is not base64");
    }
    if (raw.length < SALT_BYTES + NONCE_BYTES + TAG_BITS / 8) {
      throw new IllegalArgumentException("the sealed site CA " + what + " is too short");
    }
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, purpose, Arrays.copyOf(raw, SALT_BYTES),
          Arrays.copyOfRange(raw, SALT_BYTES, SALT_BYTES + NONCE_BYTES), caFingerprint);
      int offset = SALT_BYTES + NONCE_BYTES;
      return new String(cipher.doFinal(raw, offset, raw.length - offset), StandardCharsets.UTF_8);
    } catch (AEADBadTagException e) {
      throw new IllegalArgumentException("the site CA " + what + " was sealed under another cluster.secret, or it or "
          + "its certificate was altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM or HmacSHA256 is not available", e);
    }
  }

  private Cipher cipher(int mode, String purpose, byte[] salt, byte[] nonce, String caFingerprint)
      throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(secret);
    mac.update(purpose.getBytes(StandardCharsets.US_ASCII));
    byte[] key = mac.doFinal(salt);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD((purpose + caFingerprint).getBytes(StandardCharsets.US_ASCII));
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
