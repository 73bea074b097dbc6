package dev.outpost.client;

import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SecureFiles;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * The client's state directory ({@code ~/.outpost} by default, mode 0700; every file 0600): which appliance it
 * signed in to and as whom ({@code client.json}), that appliance's pinned site CA ({@code ca.pem}), the bearer
 * token ({@code token}) and the device key pair ({@code device-key.pem}, {@code device-key.pub}).
 */
final class ClientHome {

  static final String CONFIG = "client.json";
  static final String CA = "ca.pem";
  static final String TOKEN = "token";

  /** Where the client signed in: the appliance URL, the user, and the pinned CA fingerprint. */
  record Login(URI appliance, String username, String caSha256) {
    JsonObject toJson() {
      return new JsonObject().put("v", 1).put("appliance", appliance.toString()).put("username", username)
          .put("caSha256", caSha256);
    }

    static Login fromJson(JsonObject json) {
      return new Login(URI.create(json.getString("appliance")), json.getString("username"),
          json.getString("caSha256"));
    }
  }

  private final Path dir;

  ClientHome(Path dir) {
    this.dir = Objects.requireNonNull(dir).toAbsolutePath().normalize();
  }

  Path dir() {
    return dir;
  }

  /** Creates the directory (0700) if needed, and makes sure nobody else can read it. */
  void prepare() {
    try {
      SecureFiles.createPrivateDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new ClientFailure("cannot create " + dir + ": " + e.getMessage(), e);
    }
  }

  Login login() {
    Path file = dir.resolve(CONFIG);
    if (!Files.isRegularFile(file)) {
      throw new ClientFailure("not signed in: run 'outpost client login https://APPLIANCE:8443 --user NAME' first"
          + (dir.toString().endsWith(".outpost") ? "" : " (with --home " + dir + ")"));
    }
    try {
      return Login.fromJson(new JsonObject(Files.readString(file)));
    } catch (IOException | DecodeException | IllegalArgumentException | NullPointerException e) {
      throw new ClientFailure("cannot read " + file + ": " + e.getMessage() + "; sign in again", e);
    }
  }

  void saveLogin(Login login, X509Certificate ca) {
    write(CA, Pem.encode(ca));
    write(CONFIG, login.toJson().encodePrettily());
  }

  /** The pinned CA of the appliance signed in to, or {@code null} before the first sign-in. */
  X509Certificate ca() {
    Path file = dir.resolve(CA);
    if (!Files.isRegularFile(file)) {
      return null;
    }
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(file)));
    } catch (IOException | CertificateException e) {
      throw new ClientFailure("cannot read the pinned CA " + file + ": " + e.getMessage(), e);
    }
  }

  String token() {
    Path file = dir.resolve(TOKEN);
    try {
      return Files.isRegularFile(file) ? Files.readString(file, StandardCharsets.UTF_8).trim() : null;
    } catch (IOException e) {
      throw new ClientFailure("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  void saveToken(String token) {
    write(TOKEN, token);
  }

  boolean deleteToken() {
    try {
      return Files.deleteIfExists(dir.resolve(TOKEN));
    } catch (IOException e) {
      throw new ClientFailure("cannot delete " + dir.resolve(TOKEN) + ": " + e.getMessage(), e);
    }
  }

  Path file(String name) {
    return dir.resolve(name);
  }

  void write(String name, String content) {
    try {
      SecureFiles.writePrivate(dir.resolve(name), content);
    } catch (IOException e) {
      throw new ClientFailure("cannot write " + dir.resolve(name) + ": " + e.getMessage(), e);
    }
  }
}
