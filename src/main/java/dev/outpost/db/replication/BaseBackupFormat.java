package dev.outpost.db.replication;

import java.nio.charset.StandardCharsets;

/**
 * The wire form of a base backup, version 1: the magic {@code OUTPOST-PGBASEBACKUP} and the version (int), then
 * frames, each a type byte: {@code D} a directory (path), {@code F} a file (path, length as a long, that many
 * bytes), {@code L} the backup label and tablespace map {@code pg_backup_stop} returned (each an int length and
 * UTF-8 bytes), {@code E} the end (files and bytes as longs, then the SHA-256 of every byte before the digest).
 * Paths are relative to the data directory, '/'-separated, written as {@link java.io.DataOutput#writeUTF}. All
 * numbers big-endian. A stream that lacks the end frame or whose digest differs is refused as a whole.
 */
final class BaseBackupFormat {

  static final byte[] MAGIC = "OUTPOST-PGBASEBACKUP".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final byte DIRECTORY = 'D';
  static final byte FILE = 'F';
  static final byte LABEL = 'L';
  static final byte END = 'E';
  static final String DIGEST = "SHA-256";
  static final int DIGEST_BYTES = 32;
  /** The label and map are a few hundred bytes; anything near this is not a backup label. */
  static final int MAX_LABEL_BYTES = 1 << 20;
  static final int COPY_BUFFER = 64 * 1024;

  private BaseBackupFormat() {
  }
}
