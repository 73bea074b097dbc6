package dev.outpost.cluster;

import dev.outpost.crypto.SecureFiles;
import dev.outpost.crypto.SecureTokens;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * How commands run on the node's own machine ({@code outpost appliance drain-node}) reach it: a random credential,
 * new at every start, written with the node's id, local URL and CA fingerprint to {@value #FILE} under the data dir
 * with owner-only permissions. Reading it needs the same access as the node's state, like a backup does; it is
 * accepted only by the routes that act on this node itself.
 */
public final class LocalControl {

  /** Where the node publishes its control credential, relative to the data dir. */
  public static final String FILE = "run/node-control.json";

  private final String token;

  private LocalControl(String token) {
    this.token = token;
  }

  /** A fresh credential for this run of the node. */
  public static LocalControl create() {
    return new LocalControl(SecureTokens.random(32));
  }

  /** Whether {@code presented} is this run's credential (constant-time). */
  public boolean accepts(String presented) {
    return presented != null && MessageDigest.isEqual(token.getBytes(StandardCharsets.UTF_8),
        presented.getBytes(StandardCharsets.UTF_8));
  }

  /** Writes the credential file (off the event loop). */
  public Future<Void> publish(Vertx vertx, Path dataDir, String nodeId, String url, String caSha256) {
    JsonObject json = new Endpoint(nodeId, url, caSha256, token).toJson();
    return vertx.executeBlocking(() -> {
      SecureFiles.writePrivate(dataDir.resolve(FILE), json.encodePrettily());
      return null;
    });
  }

  /**
   * What a command needs to reach the node: its id, local URL and CA fingerprint.
   *
   * @param token the credential
   */
  public record Endpoint(String nodeId, String url, String caSha256, String token) {

    public Endpoint {
      Objects.requireNonNull(nodeId);
      Objects.requireNonNull(url);
      Objects.requireNonNull(caSha256);
      Objects.requireNonNull(token);
    }

    JsonObject toJson() {
      return new JsonObject().put("v", 1).put("nodeId", nodeId).put("url", url).put("caSha256", caSha256)
          .put("token", token);
    }

    /**
     * The endpoint the node on {@code dataDir} published, or null when there is no file.
     *
     * @throws IOException when the file cannot be read or is not what a node writes
     */
    public static Endpoint read(Path dataDir) throws IOException {
      Path file = dataDir.resolve(FILE);
      try {
        JsonObject json = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
        return new Endpoint(json.getString("nodeId"), json.getString("url"), json.getString("caSha256"),
            json.getString("token"));
      } catch (NoSuchFileException e) {
        return null;
      } catch (RuntimeException e) {
        throw new IOException(file + " is not a node control file: " + e.getMessage(), e);
      }
    }
  }
}
