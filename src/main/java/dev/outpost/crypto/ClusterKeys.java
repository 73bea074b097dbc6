package dev.outpost.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys a site's nodes derive from {@code cluster.secret}, one per purpose (HMAC-SHA256 of the secret over a
 * purpose label, as HKDF-Expand with a single block): proving membership when a cluster connection opens, sealing
 * the values kept in the cluster and the key of the secrets stored in a shared database, and the key of the
 * certificate authority of the nodes' event bus. Knowing one key
 * tells nothing of the others or of the secret.
 */
public final class ClusterKeys {

  /** Shortest {@code cluster.secret} accepted: it is the only credential between nodes. */
  public static final int MIN_SECRET_LENGTH = 16;

  private final byte[] secret;

  private ClusterKeys(byte[] secret) {
    this.secret = secret;
  }

  /** @throws IllegalArgumentException when the secret is shorter than {@value #MIN_SECRET_LENGTH} characters */
  public static ClusterKeys of(String clusterSecret) {
    if (Objects.requireNonNull(clusterSecret).length() < MIN_SECRET_LENGTH) {
      throw new IllegalArgumentException("cluster.secret must have at least " + MIN_SECRET_LENGTH + " characters");
    }
    return new ClusterKeys(clusterSecret.getBytes(StandardCharsets.UTF_8));
  }

  /** Key of the challenge-response that every cluster connection passes before Hazelcast sees a byte. */
  public byte[] memberAuthentication() {
    return derive("outpost/cluster/member-authentication/v1");
  }

  /** Key that seals the values Outpost keeps in Hazelcast maps. */
  public byte[] values() {
    return derive("outpost/cluster/values/v1");
  }

  /**
   * Key that seals, in a database the nodes share, the key of the secrets stored there (directory bind passwords,
   * lease signing keys), so that every node of the site opens them.
   */
  public byte[] storedSecrets() {
    return derive("outpost/cluster/stored-secrets-key/v1");
  }

  /** Seed of the private key of the event bus certificate authority. */
  public byte[] busAuthority() {
    return derive("outpost/cluster/event-bus-ca/v1");
  }

  /**
   * Secret from which the embedded databases of a replicated site derive their passwords (the replication role's
   * and the superuser's), so that none is ever sent between nodes.
   */
  public byte[] databaseReplication() {
    return derive("outpost/db/replication/v1");
  }

  /** HMAC-SHA256 of {@code data} under {@code key}. */
  public static byte[] hmac(byte[] key, byte[]... data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      for (byte[] part : data) {
        mac.update(part);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  private byte[] derive(String purpose) {
    return hmac(secret, purpose.getBytes(StandardCharsets.US_ASCII), new byte[] {1});
  }

  @Override
  public String toString() {
    return "ClusterKeys[(secret)]";
  }

  /** Wipes a derived key once it is no longer needed. */
  public static void wipe(byte[] key) {
    Arrays.fill(key, (byte) 0);
  }
}
