package dev.outpost.cluster;

import dev.outpost.crypto.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The {@code cluster.secret} a node keeps in its data dir ({@code secrets/cluster.secret}, owner-only) when none is
 * configured: a single node makes one on first start, and {@code outpost appliance join-command} prints it for the
 * next node of the site.
 */
public final class ClusterSecret {

  private static final SecureRandom RANDOM = new SecureRandom();

  private ClusterSecret() {
  }

  /** Where a node keeps the secret it made. */
  public static Path file(Path dataDir) {
    return dataDir.resolve("secrets").resolve("cluster.secret");
  }

  /** The secret kept in {@code dataDir}, made and stored on first use. Blocking. */
  public static String loadOrCreate(Path dataDir) throws IOException {
    Path file = file(dataDir);
    if (Files.exists(file)) {
      String kept = Files.readString(file, StandardCharsets.UTF_8).trim();
      if (kept.length() >= dev.outpost.crypto.ClusterKeys.MIN_SECRET_LENGTH) {
        return kept;
      }
      throw new IOException(file + " does not hold a cluster secret of at least "
          + dev.outpost.crypto.ClusterKeys.MIN_SECRET_LENGTH + " characters; remove it to make a new one");
    }
    byte[] random = new byte[32];
    RANDOM.nextBytes(random);
    String secret = HexFormat.of().formatHex(random);
    SecureFiles.createPrivateDirectories(file.getParent());
    SecureFiles.writePrivate(file, secret + "\n");
    return secret;
  }

  /** The secret kept in {@code dataDir}, or {@code null} when there is none. Blocking. */
  public static String read(Path dataDir) throws IOException {
    Path file = file(dataDir);
    return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : null;
  }
}
