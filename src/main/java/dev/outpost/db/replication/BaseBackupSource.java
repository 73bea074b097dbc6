package dev.outpost.db.replication;

import dev.outpost.db.EmbeddedPostgres;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a base backup of the primary's embedded database for a new standby, with PostgreSQL's low-level API: a
 * physical replication slot named after the standby reserves the WAL from now on, {@code pg_backup_start} marks the
 * start, the data directory's files are copied as they are (the standby's WAL replay makes them consistent), and
 * {@code pg_backup_stop} returns the backup label the copy must hold. The stream has the form
 * {@link BaseBackupFormat} describes. Nothing of the primary's own runtime state goes with it (its pid file, WAL,
 * slots, temporary files, signal files). Its blocking work runs on a worker thread, never on an event loop.
 */
public final class BaseBackupSource {

  private static final Logger LOG = LoggerFactory.getLogger(BaseBackupSource.class);
  private static final Set<String> SKIPPED_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
      "backup_label.old", "tablespace_map", "standby.signal", "recovery.signal", "current_logfiles",
      "postgresql.auto.conf.tmp", "backup_manifest");
  /** Directories sent empty: what the server rebuilds or the standby streams (WAL, slots, runtime state). */
  private static final Set<String> EMPTIED_DIRECTORIES = Set.of("pg_wal", "pg_replslot", "pg_dynshmem",
      "pg_notify", "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");
  private static final List<String> WAL_SUBDIRECTORIES = List.of("pg_wal/archive_status", "pg_wal/summaries");
  /** Copied last, as pg_basebackup does: the control file of a backup is its newest file. */
  private static final String CONTROL_FILE = "global/pg_control";
  /** How long a receiver may take nothing before the backup is given up. */
  static final Duration STALL_LIMIT = Duration.ofSeconds(60);

  /** What a finished base backup held. */
  public record Summary(long files, long bytes, Duration took) {
  }

  private final Vertx vertx;
  private final EmbeddedPostgres database;

  BaseBackupSource(Vertx vertx, EmbeddedPostgres database) {
    this.vertx = Objects.requireNonNull(vertx);
    this.database = Objects.requireNonNull(database);
  }

  /**
   * Streams a base backup for the standby {@code standbyName} into {@code target} and ends it; fails the stream's
   * writer side by ending it early, which the receiving sink refuses.
   */
  public Future<Summary> send(String standbyName, WriteStream<Buffer> target) {
    WriteStreamOutput out = new WriteStreamOutput(vertx.getOrCreateContext(), target, STALL_LIMIT);
    return vertx.executeBlocking(() -> {
      try (out) {
        return write(standbyName, out);
      }
    }, false);
  }

  /** Streams a base backup for the standby {@code standbyName} into {@code target}, on a worker thread. */
  public Future<Summary> send(String standbyName, OutputStream target) {
    return vertx.executeBlocking(() -> write(standbyName, target), false);
  }

  /**
   * Writes a base backup for the standby {@code standbyName} into {@code target} (flushed, not closed). Blocking.
   *
   * @throws BaseBackupException when the backup cannot be taken or written; a slot made for it is dropped again
   */
  public Summary write(String standbyName, OutputStream target) throws BaseBackupException {
    long started = System.nanoTime();
    Path pgData = database.dataDirectory();
    try (Connection sql = Sql.local(database)) {
      boolean slotMade = reserveSlot(sql, standbyName);
      try {
        Summary summary = copy(sql, pgData, standbyName, target, started);
        LOG.info("Sent a base backup to standby {}: {} files, {} bytes in {} ms", standbyName, summary.files(),
            summary.bytes(), summary.took().toMillis());
        return summary;
      } catch (IOException | SQLException | RuntimeException e) {
        if (slotMade) {
          dropSlot(sql, standbyName);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new BaseBackupException("cannot take a base backup for standby " + standbyName + ": " + e.getMessage(),
          e);
    } catch (BaseBackupException e) {
      throw e;
    } catch (IOException e) {
      throw new BaseBackupException("the base backup for standby " + standbyName + " broke off: " + e.getMessage(),
          e);
    }
  }

  /** Makes the standby's slot anew, reserving WAL from now; refuses while a standby of that name streams. */
  private static boolean reserveSlot(Connection sql, String standbyName) throws SQLException, BaseBackupException {
    try (PreparedStatement find = sql.prepareStatement(
        "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      find.setString(1, standbyName);
      try (ResultSet row = find.executeQuery()) {
        if (row.next()) {
          if (row.getBoolean(1)) {
            throw new BaseBackupException("standby " + standbyName + " streams from this primary already");
          }
          dropSlot(sql, standbyName);
        }
      }
    }
    try (PreparedStatement create = sql.prepareStatement(
        "SELECT pg_create_physical_replication_slot(?, immediately_reserve => true)")) {
      create.setString(1, standbyName);
      create.execute();
    }
    return true;
  }

  private static void dropSlot(Connection sql, String standbyName) {
    try (PreparedStatement drop = sql.prepareStatement("SELECT pg_drop_replication_slot(slot_name) "
        + "FROM pg_replication_slots WHERE slot_name = ? AND NOT active")) {
      drop.setString(1, standbyName);
      drop.execute();
    } catch (SQLException e) {
      LOG.warn("Cannot drop the replication slot {} of an unfinished base backup: {}", standbyName, e.getMessage());
    }
  }

  private Summary copy(Connection sql, Path pgData, String standbyName, OutputStream target, long started)
      throws IOException, SQLException {
    try (PreparedStatement start = sql.prepareStatement("SELECT pg_backup_start(?, fast => true)")) {
      start.setString(1, "outpost base backup for " + standbyName);
      start.execute();
    }
    MessageDigest digest = sha256();
    DigestOutputStream digesting = new DigestOutputStream(new BufferedOutputStream(target,
        BaseBackupFormat.COPY_BUFFER), digest);
    DataOutputStream out = new DataOutputStream(digesting);
    out.write(BaseBackupFormat.MAGIC);
    out.writeInt(BaseBackupFormat.VERSION);
    Counter counter = new Counter();
    copyDirectory(pgData, "", out, counter);
    for (String walDirectory : WAL_SUBDIRECTORIES) {
      out.writeByte(BaseBackupFormat.DIRECTORY);
      out.writeUTF(walDirectory);
    }
    copyFile(pgData, CONTROL_FILE, out, counter);
    String label;
    String map;
    try (Statement statement = sql.createStatement(); ResultSet stop = statement.executeQuery(
        "SELECT labelfile, spcmapfile FROM pg_backup_stop(wait_for_archive => false)")) {
      stop.next();
      label = stop.getString(1);
      map = Objects.requireNonNullElse(stop.getString(2), "");
    }
    out.writeByte(BaseBackupFormat.LABEL);
    writeText(out, label);
    writeText(out, map);
    out.writeByte(BaseBackupFormat.END);
    out.writeLong(counter.files);
    out.writeLong(counter.bytes);
    out.flush();
    digesting.on(false);
    out.write(digest.digest());
    out.flush();
    return new Summary(counter.files, counter.bytes, Duration.ofNanos(System.nanoTime() - started));
  }

  private static void writeText(DataOutputStream out, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private void copyDirectory(Path pgData, String relative, DataOutputStream out, Counter counter)
      throws IOException {
    Path directory = relative.isEmpty() ? pgData : pgData.resolve(relative);
    List<Path> children;
    try (Stream<Path> list = Files.list(directory)) {
      children = list.sorted().toList();
    } catch (NoSuchFileException e) {
      return; // dropped while we copied (a database's directory): WAL replay drops it at the standby too
    }
    for (Path child : children) {
      String name = child.getFileName().toString();
      String path = relative.isEmpty() ? name : relative + "/" + name;
      if (skipped(relative, name, path)) {
        continue;
      }
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(child, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        continue;
      }
      if (attributes.isSymbolicLink()) {
        throw new BaseBackupException("the data directory holds a symbolic link (" + path + "): tablespaces and "
            + "a WAL directory elsewhere are not supported");
      }
      if (attributes.isDirectory()) {
        out.writeByte(BaseBackupFormat.DIRECTORY);
        out.writeUTF(path);
        if (!(relative.isEmpty() && EMPTIED_DIRECTORIES.contains(name))) {
          copyDirectory(pgData, path, out, counter);
        }
      } else if (attributes.isRegularFile()) {
        copyFile(pgData, path, out, counter);
      }
    }
  }

  private static boolean skipped(String parent, String name, String path) {
    return (parent.isEmpty() && SKIPPED_FILES.contains(name)) || path.equals(CONTROL_FILE)
        || name.equals("pg_internal.init") || name.startsWith("pgsql_tmp");
  }

  /**
   * Sends one file as long as it was when listed: a file that grew is cut there and one that shrank is padded with
   * zeros, as pg_basebackup does, since WAL replay rewrites whatever changed during the backup.
   */
  private static void copyFile(Path pgData, String path, DataOutputStream out, Counter counter) throws IOException {
    Path file = pgData.resolve(path);
    InputStream in;
    long length;
    try {
      in = Files.newInputStream(file);
      length = Files.size(file);
    } catch (NoSuchFileException e) {
      return; // removed while we copied: WAL replay removes it at the standby too
    }
    try (in) {
      out.writeByte(BaseBackupFormat.FILE);
      out.writeUTF(path);
      out.writeLong(length);
      byte[] buffer = new byte[BaseBackupFormat.COPY_BUFFER];
      long left = length;
      while (left > 0) {
        int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (read < 0) {
          break;
        }
        out.write(buffer, 0, read);
        left -= read;
      }
      for (; left > 0; left--) {
        out.writeByte(0);
      }
    }
    counter.files++;
    counter.bytes += length;
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance(BaseBackupFormat.DIGEST);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static final class Counter {
    private long files;
    private long bytes;
  }
}
