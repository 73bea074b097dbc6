package dev.outpost.db.replication;

import dev.outpost.crypto.ClusterKeys;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/**
 * The passwords every node of a replicated site derives from one site secret, so that none is ever sent: the
 * replication role's (standbys stream with it; followers' pools use it for the outpost database) and the
 * superuser's (each node's local superuser reads the same {@code pg_authid}, which replication copies). Never logged:
 * {@link #toString()} shows no password.
 */
public final class ReplicationCredentials {

  /** The role standbys stream as, and the site's other nodes use the primary's outpost database as. */
  public static final String ROLE = "outpost_replication";
  static final int MIN_SECRET_BYTES = 16;

  private final String replicationPassword;
  private final String superuserPassword;

  private ReplicationCredentials(String replicationPassword, String superuserPassword) {
    this.replicationPassword = replicationPassword;
    this.superuserPassword = superuserPassword;
  }

  /**
   * Derives both passwords from {@code secret} (the site passes a key derived from {@code cluster.secret}).
   *
   * @throws IllegalArgumentException when the secret has fewer than 16 bytes
   */
  public static ReplicationCredentials derive(byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the replication secret must have at least " + MIN_SECRET_BYTES + " bytes");
    }
    return new ReplicationCredentials(password(secret, "outpost/db/replication-role/v1"),
        password(secret, "outpost/db/superuser/v1"));
  }

  private static String password(byte[] secret, String purpose) {
    byte[] key = ClusterKeys.hmac(secret, purpose.getBytes(StandardCharsets.UTF_8));
    try {
      return Base64.getUrlEncoder().withoutPadding().encodeToString(key);
    } finally {
      ClusterKeys.wipe(key);
    }
  }

  String replicationPassword() {
    return replicationPassword;
  }

  /** The superuser password of every node's embedded database once the site replicates. */
  public String superuserPassword() {
    return superuserPassword;
  }

  @Override
  public String toString() {
    return "ReplicationCredentials[role=" + ROLE + ", passwords hidden]";
  }
}
