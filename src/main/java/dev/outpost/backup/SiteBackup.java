package dev.outpost.backup;

import dev.outpost.backup.impl.ArchiveCipher;
import dev.outpost.backup.impl.SiteFiles;
import dev.outpost.backup.impl.SiteTables;
import dev.outpost.backup.impl.SiteTables.Snapshot;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.SecureFiles;
import dev.outpost.db.Database;
import dev.outpost.db.DbConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Backup and restore of a site, run next to a node on its data dir ({@code outpost admin backup|restore}): an
 * encrypted archive of the site's configuration (every configuration table of its database, users with their
 * password hashes included) and of the keys and certificates that make a node a member of the site (site CA,
 * the key of stored directory bind passwords, hub membership). Restoring it onto a fresh data dir (and database)
 * brings a new node back as the same site: same CA fingerprint, same accounts, same enrolled hosts.
 */
public final class SiteBackup {

  /** What the archive's content calls itself. */
  static final String FORMAT = "outpost-site-backup";
  static final int CONTENT_VERSION = 1;

  /** What an archive holds, without any secret. */
  public record Summary(Path archive, Instant createdAt, String outpostVersion, String caSha256,
      List<Integer> schema, Map<String, Integer> rows, List<String> files) {

    public JsonObject toJson() {
      return new JsonObject().put("archive", archive.toString()).put("createdAt", createdAt.toString())
          .put("outpostVersion", outpostVersion).put("caSha256", Fingerprints.display(caSha256))
          .put("schema", new JsonArray(schema)).put("rows", new JsonObject(new LinkedHashMap<>(rows)))
          .put("files", new JsonArray(files));
    }
  }

  private final Vertx vertx;
  private final Path dataDir;
  private final DbConfig db;
  private final String version;
  private final ArchiveCipher cipher;

  /**
   * @param version this Outpost's version, recorded in archives
   */
  public SiteBackup(Vertx vertx, Path dataDir, DbConfig db, String version, ArchiveCipher cipher) {
    this.vertx = Objects.requireNonNull(vertx);
    this.dataDir = Objects.requireNonNull(dataDir);
    this.db = Objects.requireNonNull(db);
    this.version = Objects.requireNonNull(version);
    this.cipher = Objects.requireNonNull(cipher);
  }

  /**
   * Writes a new archive (mode 0600). The database is read in one read-only snapshot, so the archive is
   * consistent even while nodes run and change the site.
   *
   * @param nodeRunning whether a node runs on the data dir (its embedded database is used as it runs);
   *     otherwise the embedded database is started for the backup and stopped again
   */
  public Future<Summary> backup(Path archive, char[] passphrase, boolean nodeRunning) {
    return vertx.executeBlocking(() -> {
      if (Files.exists(archive)) {
        throw new BackupException(archive + " exists already; choose a new file name");
      }
      return SiteFiles.read(dataDir);
    }, false).compose(files -> Database.connect(vertx, db, dataDir, nodeRunning)
        .compose(database -> SiteTables.read(database.pool()).eventually(database::close))
        .compose(snapshot -> vertx.executeBlocking(() -> write(archive, passphrase, files, snapshot), false)));
  }

  /**
   * Restores an archive onto this data dir and database, which must be fresh (or belong to the same site)
   * unless {@code replace}. The caller makes sure no node runs on the data dir.
   */
  public Future<Summary> restore(Path archive, char[] passphrase, boolean replace) {
    return vertx.executeBlocking(() -> read(archive, passphrase), false)
        .compose(content -> vertx.executeBlocking(() -> {
          SiteFiles.checkTarget(dataDir, content.files(), replace);
          return content;
        }, false))
        .compose(content -> Database.start(vertx, db, dataDir)
            .compose(database -> SiteTables.write(database.pool(), content.snapshot(), replace, new JsonObject()
                    .put("createdAt", content.summary().createdAt().toString())
                    .put("outpostVersion", content.summary().outpostVersion()))
                .eventually(database::close))
            .compose(rows -> vertx.executeBlocking(() -> {
              SiteFiles.write(dataDir, content.files());
              Summary written = content.summary();
              return new Summary(written.archive(), written.createdAt(), written.outpostVersion(), written.caSha256(),
                  written.schema(), rows, written.files());
            }, false)));
  }

  /** An archive's content, decrypted and checked. */
  record Content(Summary summary, Map<String, byte[]> files, Snapshot snapshot) {
  }

  private Summary write(Path archive, char[] passphrase, Map<String, byte[]> files, Snapshot snapshot)
      throws IOException {
    Instant now = Instant.now();
    JsonObject encodedFiles = new JsonObject();
    files.forEach((name, bytes) -> encodedFiles.put(name, Base64.getEncoder().encodeToString(bytes)));
    JsonObject tables = new JsonObject();
    snapshot.tables().forEach(tables::put);
    String caSha256 = SiteFiles.caFingerprint(files);
    JsonObject document = new JsonObject()
        .put("format", FORMAT).put("version", CONTENT_VERSION).put("createdAt", now.toString())
        .put("outpostVersion", version).put("caSha256", caSha256)
        .put("schema", new JsonArray(snapshot.schema())).put("files", encodedFiles).put("tables", tables);
    SecureFiles.writePrivate(archive,
        cipher.seal(gzip(document.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8)), passphrase));
    return new Summary(archive, now, version, caSha256, snapshot.schema(), counts(snapshot.tables()),
        List.copyOf(files.keySet()));
  }

  private static Content read(Path archive, char[] passphrase) {
    byte[] sealed;
    try {
      sealed = Files.readAllBytes(archive);
    } catch (IOException e) {
      throw new BackupException("cannot read " + archive + ": " + e.getMessage(), e);
    }
    JsonObject document;
    try {
      document = new JsonObject(new String(gunzip(ArchiveCipher.open(sealed, passphrase)),
          java.nio.charset.StandardCharsets.UTF_8));
    } catch (BackupException e) {
      throw new BackupException(archive + ": " + e.getMessage(), e);
    } catch (DecodeException | UncheckedIOException e) {
      throw new BackupException(archive + ": the archive's content is not readable", e);
    }
    if (!FORMAT.equals(document.getString("format")) || document.getInteger("version", 0) != CONTENT_VERSION) {
      throw new BackupException(archive + ": content " + document.getString("format") + " version "
          + document.getValue("version") + " is not one this Outpost restores");
    }
    Map<String, byte[]> files = new LinkedHashMap<>();
    document.getJsonObject("files").forEach(file -> files.put(file.getKey(),
        Base64.getDecoder().decode((String) file.getValue())));
    if (!files.containsKey(SiteFiles.CA_CERTIFICATE) || !files.containsKey(SiteFiles.CA_KEY)) {
      throw new BackupException(archive + ": the archive holds no site CA");
    }
    List<Integer> schema = new ArrayList<>();
    document.getJsonArray("schema").forEach(v -> schema.add((Integer) v));
    Map<String, JsonArray> tables = new LinkedHashMap<>();
    document.getJsonObject("tables").forEach(table -> tables.put(table.getKey(), (JsonArray) table.getValue()));
    Summary summary = new Summary(archive, Instant.parse(document.getString("createdAt")),
        document.getString("outpostVersion"), SiteFiles.caFingerprint(files), List.copyOf(schema), counts(tables),
        List.copyOf(files.keySet()));
    return new Content(summary, files, new Snapshot(List.copyOf(schema), tables));
  }

  private static Map<String, Integer> counts(Map<String, JsonArray> tables) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    tables.forEach((name, rows) -> counts.put(name, rows.size()));
    return counts;
  }

  private static byte[] gzip(byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
      zip.write(plain);
    }
    return out.toByteArray();
  }

  private static byte[] gunzip(byte[] compressed) {
    try (GZIPInputStream zip = new GZIPInputStream(new ByteArrayInputStream(compressed))) {
      return zip.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
