package dev.outpost.hosts.agent;

import dev.outpost.crypto.CredentialFiles;
import dev.outpost.crypto.SecureFiles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What an enrolled agent keeps under its data dir, every file owner-only: {@code agent.key} (made on this host,
 * never sent anywhere), {@code agent.crt} (the client certificate from the site CA), {@code ca.crt} (the site
 * CAs, the only ones trusted afterwards: one, or two during a rotation's overlap) and {@code agent.json} (host id,
 * name, address, pool, appliance URLs). A renewal replaces key and certificate together ({@link CredentialFiles}).
 */
public record AgentIdentity(String hostId, String name, String address, String pool, List<String> appliances,
    String certificatePem, String keyPem, String caPem) {

  static final String META = "agent.json";
  static final String KEY = "agent.key";
  static final String CERTIFICATE = "agent.crt";
  static final String CA = "ca.crt";

  public AgentIdentity {
    Objects.requireNonNull(hostId);
    Objects.requireNonNull(name);
    Objects.requireNonNull(address);
    appliances = List.copyOf(appliances);
    Objects.requireNonNull(certificatePem);
    Objects.requireNonNull(keyPem);
    Objects.requireNonNull(caPem);
  }

  /** The identity stored in {@code dir}, or empty when this host has not enrolled there yet. */
  public static Optional<AgentIdentity> load(Path dir) {
    if (!Files.exists(dir.resolve(META))) {
      return Optional.empty();
    }
    try {
      credentials(dir).recover();
      JsonObject meta = new JsonObject(Files.readString(dir.resolve(META), StandardCharsets.UTF_8));
      return Optional.of(new AgentIdentity(meta.getString("hostId"), meta.getString("name"),
          meta.getString("address"), meta.getString("pool", ""),
          meta.getJsonArray("appliances", new JsonArray()).stream().map(String::valueOf).toList(),
          read(dir, CERTIFICATE), read(dir, KEY), read(dir, CA)));
    } catch (IOException | RuntimeException e) {
      throw AgentException.failed("the enrollment stored in " + dir + " is unreadable (" + e.getMessage()
          + "); remove the directory and enroll again with a new token");
    }
  }

  private static String read(Path dir, String file) throws IOException {
    return Files.readString(dir.resolve(file), StandardCharsets.US_ASCII);
  }

  /** Writes every file owner-only; the metadata last, so a half-written enrollment reads as none. */
  public void save(Path dir) throws IOException {
    SecureFiles.createPrivateDirectories(dir);
    SecureFiles.writePrivate(dir.resolve(KEY), keyPem);
    SecureFiles.writePrivate(dir.resolve(CERTIFICATE), certificatePem);
    SecureFiles.writePrivate(dir.resolve(CA), caPem);
    saveMeta(dir);
  }

  /** Writes the metadata only (host id, name, address, pool, appliance URLs), e.g. after learning appliances. */
  public void saveMeta(Path dir) throws IOException {
    SecureFiles.writePrivate(dir.resolve(META), new JsonObject().put("hostId", hostId).put("name", name)
        .put("address", address).put("pool", pool).put("appliances", new JsonArray(appliances))
        .encodePrettily());
  }

  /**
   * Writes the site CAs, then the key and certificate together, so that a stop at any point leaves a pair that
   * belongs together (see {@link CredentialFiles}). Blocking.
   */
  public void saveCredentials(Path dir) throws IOException {
    SecureFiles.writePrivate(dir.resolve(CA), caPem);
    credentials(dir).replace(keyPem, certificatePem);
  }

  /** Writes the site CAs only. Blocking. */
  public void saveTrust(Path dir) throws IOException {
    SecureFiles.writePrivate(dir.resolve(CA), caPem);
  }

  private static CredentialFiles credentials(Path dir) {
    return CredentialFiles.of(dir.resolve(KEY), dir.resolve(CERTIFICATE));
  }

  /** The same host with a renewed key and certificate, and the CAs to trust from now on. */
  public AgentIdentity withCredentials(String newCertificatePem, String newKeyPem, String newCaPem) {
    return new AgentIdentity(hostId, name, address, pool, appliances, newCertificatePem, newKeyPem, newCaPem);
  }

  /** The same identity with another address or appliance list (given on a later run). */
  public AgentIdentity with(String newAddress, List<String> newAppliances) {
    return new AgentIdentity(hostId, name, newAddress, pool, newAppliances, certificatePem, keyPem, caPem);
  }
}
