package dev.outpost.backup.impl;

import dev.outpost.backup.BackupException;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SecureFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys and certificates of a node's data dir that make it a member of its site: the site CA (certificate
 * and key), the key its stored directory bind passwords are encrypted under, and, on an appliance enrolled
 * with a separate hub, its hub membership. Not the node's own TLS
 * certificate and key, which a node re-issues from the CA for the names of the machine it runs on, and not
 * the embedded database's files, which travel as rows. Blocking: call from a worker.
 */
public final class SiteFiles {

  public static final String CA_CERTIFICATE = "tls/ca.crt";
  public static final String CA_KEY = "tls/ca.key";
  static final String MEMBERSHIP = "hub/membership.json";
  /** The key that directories' bind passwords are stored under in the database: without it they are lost. */
  static final String DIRECTORY_KEY = "secrets/directory.key";
  /** Every file a backup takes when present, relative to the data dir. */
  public static final List<String> FILES = List.of(CA_CERTIFICATE, CA_KEY, MEMBERSHIP, "hub/hub-ca.crt",
      "hub/connector.crt", "hub/connector.key", DIRECTORY_KEY,
      // during a site CA rotation's overlap: the old CA, still trusted, and the new one certified by it
      "tls/ca-retired.crt", "tls/ca-cross.crt", "tls/ca-rotation.json");
  private static final List<String> NODE_FILES = List.of("tls/node.crt", "tls/node.key");

  private SiteFiles() {
  }

  /** The site's files in {@code dataDir}; fails when it holds no site CA. */
  public static Map<String, byte[]> read(Path dataDir) {
    if (!Files.isRegularFile(dataDir.resolve(CA_KEY)) || !Files.isRegularFile(dataDir.resolve(CA_CERTIFICATE))) {
      throw new BackupException("no site in " + dataDir + " (no " + CA_CERTIFICATE + " and " + CA_KEY
          + "); check --data-dir");
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String name : FILES) {
      Path file = dataDir.resolve(name);
      if (Files.isRegularFile(file)) {
        try {
          files.put(name, Files.readAllBytes(file));
        } catch (IOException e) {
          throw new BackupException("cannot read " + file + " (" + e.getMessage() + "); run the backup as the user "
              + "that owns the data dir", e);
        }
      }
    }
    return files;
  }

  /** The SHA-256 fingerprint of the site CA among {@code files}. */
  public static String caFingerprint(Map<String, byte[]> files) {
    try {
      return Fingerprints.sha256(Pem.parseCertificate(new String(files.get(CA_CERTIFICATE),
          java.nio.charset.StandardCharsets.US_ASCII)));
    } catch (IOException | RuntimeException e) {
      throw new BackupException("the site CA certificate cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Fails unless {@code dataDir} is fresh or already belongs to the archive's site: a data dir with another
   * site's CA or hub membership is only overwritten when {@code replace}.
   */
  public static void checkTarget(Path dataDir, Map<String, byte[]> files, boolean replace) {
    if (replace) {
      return;
    }
    for (String name : List.of(CA_CERTIFICATE, MEMBERSHIP)) {
      Path existing = dataDir.resolve(name);
      if (Files.exists(existing) && files.containsKey(name) && !sameContent(existing, files.get(name))) {
        throw new BackupException(dataDir + " belongs to another site (its " + name + " differs from the archive's);"
            + " restore onto a fresh data dir, or pass --replace to overwrite it");
      }
    }
  }

  /**
   * Writes the archive's files into {@code dataDir} (owner-only modes); a node certificate issued by another
   * CA is removed so that the next start issues one from the restored CA.
   */
  public static void write(Path dataDir, Map<String, byte[]> files) {
    try {
      Path caFile = dataDir.resolve(CA_CERTIFICATE);
      boolean sameCa = Files.exists(caFile) && sameContent(caFile, files.get(CA_CERTIFICATE));
      if (!sameCa) {
        for (String name : NODE_FILES) {
          Files.deleteIfExists(dataDir.resolve(name));
        }
      }
      for (Map.Entry<String, byte[]> file : files.entrySet()) {
        SecureFiles.writePrivate(dataDir.resolve(file.getKey()), file.getValue());
      }
    } catch (IOException e) {
      throw new BackupException("cannot write the keys and certificates into " + dataDir + ": " + e.getMessage(), e);
    }
  }

  private static boolean sameContent(Path file, byte[] content) {
    try {
      return Arrays.equals(Files.readAllBytes(file), content);
    } catch (IOException e) {
      return false;
    }
  }
}
