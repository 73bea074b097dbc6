package dev.outpost.db.replication;

import dev.outpost.crypto.SecureFiles;
import dev.outpost.db.EmbeddedPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a base backup from {@link BaseBackupSource} as this node's data directory, ready to start as a hot
 * standby of the primary that sent it: the files go into a staging directory next to it, and only a complete stream
 * whose digest matches becomes {@code <db-dir>/pgdata}, with the backup label, {@code standby.signal}, the node's own
 * {@code pg_hba.conf}, TLS files and standby settings ({@code primary_conninfo}, {@code primary_slot_name}). A data
 * directory that was there is kept as {@code pgdata.previous} (one copy: an older one is removed). A stream cut short
 * or corrupt fails with a {@link BaseBackupException} and leaves the node's data directory as it was. The node's
 * database must not run meanwhile. Its blocking work runs on a worker thread.
 */
public final class BaseBackupSink {

  private static final Logger LOG = LoggerFactory.getLogger(BaseBackupSink.class);
  static final String DATA = "pgdata";
  static final String STAGING = "pgdata.incoming";
  static final String PREVIOUS = "pgdata.previous";

  private final Vertx vertx;
  private final Path dbDir;
  private final ReplicationSettings settings;
  private final PrimaryEndpoint primary;

  BaseBackupSink(Vertx vertx, Path dbDir, ReplicationSettings settings, PrimaryEndpoint primary) {
    this.vertx = Objects.requireNonNull(vertx);
    this.dbDir = Objects.requireNonNull(dbDir);
    this.settings = Objects.requireNonNull(settings);
    this.primary = Objects.requireNonNull(primary);
  }

  /** Restores the base backup {@code source} carries; the stream is read with back-pressure. */
  public Future<Void> receive(ReadStream<Buffer> source) {
    ReadStreamInput in = new ReadStreamInput(vertx.getOrCreateContext(), source, BaseBackupSource.STALL_LIMIT);
    return vertx.executeBlocking(() -> {
      try (in) {
        restore(in);
      }
      return null;
    }, false);
  }

  /** Restores the base backup {@code source} carries, on a worker thread. */
  public Future<Void> receive(InputStream source) {
    return vertx.executeBlocking(() -> {
      restore(source);
      return null;
    }, false);
  }

  /**
   * Restores the base backup {@code source} carries (read to its end, not closed). Blocking.
   *
   * @throws BaseBackupException when the stream is cut short, corrupt or not a base backup, or the data directory
   *     cannot be replaced; the node's data directory is then as it was
   */
  public void restore(InputStream source) throws BaseBackupException {
    long started = System.nanoTime();
    Path staging = dbDir.resolve(STAGING);
    Received received;
    try {
      refuseRunningServer();
      deleteTree(staging);
      SecureFiles.createPrivateDirectories(staging);
      received = read(source, staging);
      configure(staging, received);
    } catch (IOException | RuntimeException e) {
      discard(staging);
      if (e instanceof BaseBackupException refused) {
        throw refused;
      }
      throw new BaseBackupException("cannot restore the base backup from " + primary + ": " + e.getMessage(), e);
    }
    try {
      install(staging);
      EmbeddedPostgres.adoptPassword(dbDir, settings.credentials().superuserPassword());
    } catch (IOException e) {
      discard(staging);
      throw new BaseBackupException("cannot install the base backup from " + primary + " in " + dbDir + ": "
          + e.getMessage(), e);
    }
    LOG.info("Restored a base backup from {} into {}: {} files, {} bytes in {} ms", primary, dbDir.resolve(DATA),
        received.files, received.bytes, (System.nanoTime() - started) / 1_000_000);
  }

  private void refuseRunningServer() throws IOException {
    Path pid = dbDir.resolve(DATA).resolve("postmaster.pid");
    if (!Files.exists(pid)) {
      return;
    }
    String first = Files.readAllLines(pid, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
    boolean alive;
    try {
      alive = ProcessHandle.of(Long.parseLong(first)).map(ProcessHandle::isAlive).orElse(false);
    } catch (NumberFormatException e) {
      alive = false;
    }
    if (alive) {
      throw new BaseBackupException("the database in " + dbDir.resolve(DATA) + " runs (pid " + first
          + "): stop it before restoring a base backup");
    }
  }

  /** What a verified stream held. */
  private record Received(long files, long bytes, String label, String tablespaceMap) {
  }

  private static Received read(InputStream source, Path staging) throws IOException {
    MessageDigest digest = BaseBackupSource.sha256();
    DigestInputStream digesting = new DigestInputStream(new BufferedInputStream(source,
        BaseBackupFormat.COPY_BUFFER), digest);
    DataInputStream in = new DataInputStream(digesting);
    long files = 0;
    long bytes = 0;
    String label = null;
    String map = "";
    try {
      byte[] magic = in.readNBytes(BaseBackupFormat.MAGIC.length);
      if (!Arrays.equals(magic, BaseBackupFormat.MAGIC)) {
        throw corrupt("it is not an Outpost base backup (no magic)");
      }
      int version = in.readInt();
      if (version != BaseBackupFormat.VERSION) {
        throw corrupt("its version is " + version + "; this node reads version " + BaseBackupFormat.VERSION);
      }
      while (true) {
        byte type = in.readByte();
        switch (type) {
          case BaseBackupFormat.DIRECTORY -> createDirectory(target(staging, in.readUTF()));
          case BaseBackupFormat.FILE -> {
            bytes += copyFile(in, target(staging, in.readUTF()));
            files++;
          }
          case BaseBackupFormat.LABEL -> {
            label = readText(in);
            map = readText(in);
          }
          case BaseBackupFormat.END -> {
            long sentFiles = in.readLong();
            long sentBytes = in.readLong();
            digesting.on(false);
            byte[] expected = digest.digest();
            byte[] sent = in.readNBytes(BaseBackupFormat.DIGEST_BYTES);
            if (sent.length < BaseBackupFormat.DIGEST_BYTES) {
              throw new EOFException();
            }
            if (!MessageDigest.isEqual(expected, sent)) {
              throw corrupt("its SHA-256 does not match what the sender computed");
            }
            if (sentFiles != files || sentBytes != bytes) {
              throw corrupt("it holds " + files + " files and " + bytes + " bytes, the sender counted " + sentFiles
                  + " and " + sentBytes);
            }
            if (label == null) {
              throw corrupt("it has no backup label");
            }
            return new Received(files, bytes, label, map);
          }
          default -> throw corrupt("frame type 0x" + Integer.toHexString(type & 0xff) + " is unknown");
        }
      }
    } catch (EOFException e) {
      throw new BaseBackupException("the base backup stream ended early, after " + files + " files and " + bytes
          + " bytes: the sender stopped or the connection broke", e);
    }
  }

  private static BaseBackupException corrupt(String why) {
    return new BaseBackupException("the base backup stream is corrupt: " + why);
  }

  private static String readText(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > BaseBackupFormat.MAX_LABEL_BYTES) {
      throw corrupt("a backup label of " + length + " bytes");
    }
    byte[] text = in.readNBytes(length);
    if (text.length < length) {
      throw new EOFException();
    }
    return new String(text, StandardCharsets.UTF_8);
  }

  /** The staging path of {@code relative}; a path that leaves the staging directory is refused. */
  private static Path target(Path staging, String relative) throws BaseBackupException {
    Path target = staging.resolve(relative).normalize();
    if (relative.isEmpty() || relative.startsWith("/") || !target.startsWith(staging) || target.equals(staging)) {
      throw corrupt("it names the path '" + relative + "' outside the data directory");
    }
    return target;
  }

  private static void createDirectory(Path directory) throws IOException {
    Files.createDirectories(directory);
    Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwx------"));
  }

  private static long copyFile(DataInputStream in, Path target) throws IOException {
    long length = in.readLong();
    if (length < 0) {
      throw corrupt("a file of " + length + " bytes");
    }
    Files.createDirectories(target.getParent());
    byte[] buffer = new byte[BaseBackupFormat.COPY_BUFFER];
    try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      long left = length;
      while (left > 0) {
        int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (read < 0) {
          throw new EOFException();
        }
        out.write(buffer, 0, read);
        left -= read;
      }
    }
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-------"));
    return length;
  }

  /** Makes the copy this node's standby: its label, its signal, this node's access rules, TLS and primary. */
  private void configure(Path staging, Received received) throws IOException {
    if (!Files.exists(staging.resolve("PG_VERSION")) || !Files.exists(staging.resolve("global/pg_control"))) {
      throw corrupt("it holds no PostgreSQL data directory (no PG_VERSION or global/pg_control)");
    }
    SecureFiles.writePrivate(staging.resolve("backup_label"), received.label);
    if (!received.tablespaceMap.isBlank()) {
      SecureFiles.writePrivate(staging.resolve("tablespace_map"), received.tablespaceMap);
    }
    SecureFiles.writePrivate(staging.resolve(NodeConfiguration.STANDBY_SIGNAL), "");
    NodeConfiguration.writeHba(staging, settings, dev.outpost.db.Database.EMBEDDED_DATABASE);
    Map<String, String> values = new LinkedHashMap<>(NodeConfiguration.serverSettings(dbDir, settings));
    values.putAll(NodeConfiguration.standbySettings(dbDir, settings, primary));
    NodeConfiguration.rewriteAutoConf(staging, values);
  }

  /** Keeps the current data directory as the one previous copy and moves the staged one in its place. */
  private void install(Path staging) throws IOException {
    Path data = dbDir.resolve(DATA);
    Path previous = dbDir.resolve(PREVIOUS);
    if (Files.exists(data)) {
      deleteTree(previous);
      Files.move(data, previous, StandardCopyOption.ATOMIC_MOVE);
      LOG.info("Kept the data directory this node had as {}", previous);
    }
    Files.move(staging, data, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void discard(Path staging) {
    try {
      deleteTree(staging);
    } catch (IOException e) {
      LOG.warn("Cannot remove the unfinished base backup in {}: {}", staging, e.getMessage());
    }
  }

  static void deleteTree(Path directory) throws IOException {
    if (!Files.exists(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(directory)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
