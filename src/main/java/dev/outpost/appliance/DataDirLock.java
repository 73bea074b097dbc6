package dev.outpost.appliance;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** An exclusive lock on the data dir, so that two processes never share one node's state. */
public final class DataDirLock implements AutoCloseable {

  private final FileChannel channel;
  private final FileLock lock;

  private DataDirLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock or throws a {@link StartupException} naming the holder. */
  public static DataDirLock acquire(Path dataDir) {
    DataDirLock lock = tryAcquire(dataDir);
    if (lock == null) {
      String holder;
      try {
        holder = Files.readString(dataDir.resolve("outpost.lock"), StandardCharsets.UTF_8).trim();
      } catch (IOException e) {
        holder = "";
      }
      throw new StartupException("data dir " + dataDir + " is in use by another Outpost process"
          + (holder.isEmpty() ? "" : " (pid " + holder + ")") + "; stop it or start with another --data-dir");
    }
    return lock;
  }

  /**
   * Takes the lock, or returns {@code null} when another process holds it (a node runs on the data dir).
   *
   * @throws StartupException when the data dir cannot be locked at all
   */
  public static DataDirLock tryAcquire(Path dataDir) {
    Path file = dataDir.resolve("outpost.lock");
    try {
      Files.createDirectories(dataDir);
      FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        return null;
      }
      channel.truncate(0);
      channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
      channel.force(false);
      return new DataDirLock(channel, lock);
    } catch (IOException e) {
      throw new StartupException("cannot lock data dir " + dataDir + ": " + e.getMessage()
          + "; check that it is writable or choose another --data-dir");
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      // the process is ending; the OS drops the lock anyway
    }
  }
}
