package dev.outpost.db.replication;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a stopped server's {@code global/pg_control} says about its history, read without the server (the bundled
 * binaries have no pg_controldata): the system identifier, how it was shut down, and its last checkpoint's position
 * and timeline. Field offsets are those of {@code ControlFileData} (unchanged since PostgreSQL 9.x), in the host's
 * byte order.
 *
 * @param systemIdentifier the cluster's identity, shared by a primary and every copy of it
 * @param state the {@code DBState}
 * @param checkpoint the last checkpoint record's position
 * @param timeline the timeline of that checkpoint
 */
record ControlFile(long systemIdentifier, int state, long checkpoint, int timeline) {

  /** Shut down cleanly as a primary. */
  static final int SHUT_DOWN = 1;
  /** Shut down cleanly as a standby. */
  static final int SHUT_DOWN_IN_RECOVERY = 2;
  private static final int STATE_OFFSET = 16;
  private static final int CHECKPOINT_OFFSET = 32;
  private static final int TIMELINE_OFFSET = 48;

  static ControlFile read(Path pgData) throws IOException {
    byte[] bytes = Files.readAllBytes(pgData.resolve("global/pg_control"));
    if (bytes.length < TIMELINE_OFFSET + 4) {
      throw new IOException("global/pg_control in " + pgData + " is too short");
    }
    ByteBuffer control = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    return new ControlFile(control.getLong(0), control.getInt(STATE_OFFSET), control.getLong(CHECKPOINT_OFFSET),
        control.getInt(TIMELINE_OFFSET));
  }

  /** Whether the server stopped cleanly: its last checkpoint is then the end of its WAL. */
  boolean cleanShutdown() {
    return state == SHUT_DOWN || state == SHUT_DOWN_IN_RECOVERY;
  }
}
