package dev.outpost.client;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.SecretBox;
import dev.outpost.lease.Lease;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The client's connection leases, one per site (the pinned site CA) and user, each in its own file
 * ({@code lease-<id>.enc}, 0600) encrypted with AES-256-GCM under {@code lease.key}, which is kept beside the device
 * key. The site and user are bound in as associated data, so a file cannot be passed off for another.
 */
final class LeaseWallet {

  static final String KEY_FILE = "lease.key";
  private static final String PREFIX = "lease-";
  private static final String SUFFIX = ".enc";

  /** A stored lease: the token and the store's description of it (GET /api/v1/lease). */
  record Stored(String token, Lease lease, JsonObject described) {
  }

  private final ClientHome home;

  LeaseWallet(ClientHome home) {
    this.home = home;
  }

  /** Keeps the lease from a {@code GET /api/v1/lease} answer for this site and user. */
  void save(String caSha256, String username, JsonObject described) {
    String token = described.getString("lease");
    try {
      Lease.read(token);
    } catch (IllegalArgumentException e) {
      throw new ClientFailure("the appliance sent a lease this client cannot read: " + e.getMessage(), e);
    }
    home.write(fileName(caSha256, username), box().seal(purpose(caSha256, username), described.encode()));
  }

  /** The lease stored for this site and user, or {@code null}. */
  Stored load(String caSha256, String username) {
    Path file = home.file(fileName(caSha256, username));
    if (!Files.isRegularFile(file) || !Files.isRegularFile(home.file(KEY_FILE))) {
      return null;
    }
    try {
      JsonObject described = new JsonObject(box().open(purpose(caSha256, username),
          Files.readString(file, StandardCharsets.US_ASCII).strip()));
      String token = described.getString("lease");
      return new Stored(token, Lease.read(token), described);
    } catch (IOException | IllegalArgumentException | DecodeException e) {
      throw new ClientFailure("cannot read the stored lease " + file + " (" + e.getMessage() + "); sign in again", e);
    }
  }

  /** Deletes every stored lease and the key that encrypts them; returns how many leases there were. */
  int deleteAll() {
    int deleted = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(home.dir(), PREFIX + "*" + SUFFIX)) {
      for (Path file : files) {
        Files.delete(file);
        deleted++;
      }
      Files.deleteIfExists(home.file(KEY_FILE));
    } catch (java.nio.file.NoSuchFileException e) {
      return deleted;
    } catch (IOException e) {
      throw new ClientFailure("cannot delete the stored leases in " + home.dir() + ": " + e.getMessage(), e);
    }
    return deleted;
  }

  private SecretBox box() {
    try {
      return SecretBox.loadOrCreate(home.file(KEY_FILE));
    } catch (IOException e) {
      throw new ClientFailure("cannot read or create " + home.file(KEY_FILE) + ": " + e.getMessage(), e);
    }
  }

  private static String fileName(String caSha256, String username) {
    byte[] digest = Fingerprints.sha256(purpose(caSha256, username).getBytes(StandardCharsets.UTF_8));
    return PREFIX + HexFormat.of().formatHex(digest, 0, 8) + SUFFIX;
  }

  private static String purpose(String caSha256, String username) {
    return "outpost-client-lease\n" + caSha256 + "\n" + username.toLowerCase(Locale.ROOT);
  }
}
