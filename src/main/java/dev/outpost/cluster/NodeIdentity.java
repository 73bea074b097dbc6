package dev.outpost.cluster;

import dev.outpost.crypto.SecureFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Who a node is: an id that stays the same across restarts (kept in {@code <data-dir>/node-id}, made once, owner
 * only), and a name for people to read in the console and the audit log (its first {@code http.public-names}
 * entry, else the machine's host name).
 *
 * <p>A copy of a data dir is the same node: give a cloned machine's data dir a new id by deleting its
 * {@code node-id} before the first start.
 */
public record NodeIdentity(String id, String name) {

  /** The member attribute in which a node publishes its name to the other nodes. */
  public static final String NAME_ATTRIBUTE = "outpost.name";

  public NodeIdentity {
    Objects.requireNonNull(id);
    Objects.requireNonNull(name);
  }

  /** Where a node keeps its id. */
  public static Path file(Path dataDir) {
    return dataDir.resolve("node-id");
  }

  /**
   * The identity of the node of {@code dataDir}: the id kept there, made and stored on first use. Blocking; call
   * while holding the data dir's lock.
   *
   * @param publicNames {@code http.public-names}: the first one names the node
   * @throws IOException when the file cannot be read or written, or does not hold an id (its message says so)
   */
  public static NodeIdentity loadOrCreate(Path dataDir, List<String> publicNames) throws IOException {
    return new NodeIdentity(loadOrCreateId(dataDir), name(publicNames));
  }

  private static String loadOrCreateId(Path dataDir) throws IOException {
    Path file = file(dataDir);
    if (Files.exists(file)) {
      String kept = Files.readString(file, StandardCharsets.UTF_8).trim();
      try {
        return UUID.fromString(kept).toString();
      } catch (IllegalArgumentException e) {
        throw new IOException(file + " does not hold a node id (a UUID); delete it to give this node a new id");
      }
    }
    String id = UUID.randomUUID().toString();
    SecureFiles.writePrivate(file, id + "\n");
    return id;
  }

  /** The first public name, else this machine's host name, else {@code localhost}. */
  static String name(List<String> publicNames) {
    if (!publicNames.isEmpty() && !publicNames.get(0).isBlank()) {
      return publicNames.get(0);
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
