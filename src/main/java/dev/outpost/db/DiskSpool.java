package dev.outpost.db;

import dev.outpost.crypto.SecureFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes that must reach PostgreSQL but cannot now wait on disk here, one JSON object a line, in the order they came:
 * a file readable by its owner only ({@code 0600}), each append flushed to the disk before it counts. Whoever
 * replays the file {@link #read}s it, writes what it read, then {@link #remove}s exactly that much, so that lines
 * appended meanwhile stay. Bounded: past {@code maxBytes} further lines are refused with an error log line and the
 * {@code outpost.spool.refused} metric. Safe to use from several threads; file work runs on a worker.
 */
public final class DiskSpool {

  private static final Logger LOG = LoggerFactory.getLogger(DiskSpool.class);
  /** Default bound of one spool file. */
  public static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;
  private static final String SUFFIX = ".jsonl";
  /** Where a node's spools live, under its data dir. */
  public static final String DIRECTORY = "spool";

  /** Entries read from the spool, oldest first, and how many bytes of the file they take. */
  public record Batch(List<JsonObject> entries, long bytes) {
  }

  private final Vertx vertx;
  private final Path file;
  private final String name;
  private final long maxBytes;
  private final AtomicLong size = new AtomicLong();
  private final AtomicBoolean replaying = new AtomicBoolean();
  private final AtomicBoolean replayer = new AtomicBoolean();
  private final Counter refused;
  private volatile boolean opened;

  /**
   * @param name what the spool holds, in log lines, metrics and the file name ({@code dir/name.jsonl})
   */
  public DiskSpool(Vertx vertx, Path dir, String name, long maxBytes, MeterRegistry metrics) {
    this.vertx = Objects.requireNonNull(vertx);
    this.file = dir.resolve(name + SUFFIX);
    this.name = Objects.requireNonNull(name);
    this.maxBytes = maxBytes;
    Gauge.builder("outpost.spool.bytes", size, AtomicLong::get).tag("spool", name)
        .description("Bytes waiting on disk for the database").register(metrics);
    this.refused = Counter.builder("outpost.spool.refused").tag("spool", name)
        .description("Entries not spooled because the spool was full").register(metrics);
  }

  /** The spool {@code name} under {@code data-dir/spool/}, bounded by {@link #DEFAULT_MAX_BYTES}. */
  public static DiskSpool inDataDir(Vertx vertx, Path dataDir, String name, MeterRegistry metrics) {
    return new DiskSpool(vertx, dataDir.resolve(DIRECTORY), name, DEFAULT_MAX_BYTES, metrics);
  }

  public Path file() {
    return file;
  }

  /**
   * Whether nothing waits, answered from memory so that an event loop may ask: false until the file has been looked
   * at by a first {@link #read} or {@link #append}, since an earlier run may have left entries in it.
   */
  public boolean isEmpty() {
    return opened && size.get() == 0;
  }

  /**
   * Appends entries, one line each, and flushes them to the disk. The future holds whether they were kept: false
   * when the spool is full (logged, counted).
   */
  public Future<Boolean> append(List<JsonObject> entries) {
    StringBuilder text = new StringBuilder();
    entries.forEach(entry -> text.append(entry.encode()).append('\n'));
    byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
    return vertx.executeBlocking(() -> appendNow(bytes), false);
  }

  /** Everything spooled now, oldest first. */
  public Future<Batch> read() {
    return vertx.executeBlocking(this::readNow, false);
  }

  /**
   * Hands everything spooled now to {@code write} (oldest first) and, once that succeeds, removes it; the future
   * holds how many entries were written. One replay at a time: while one runs, another does nothing.
   */
  public Future<Integer> replay(Function<List<JsonObject>, Future<?>> write) {
    if (isEmpty() || !replaying.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    return read()
        .compose(batch -> (batch.entries().isEmpty() ? Future.succeededFuture() : write.apply(batch.entries()))
            .compose(v -> remove(batch.bytes()))
            .map(batch.entries().size()))
        .onComplete(ar -> replaying.set(false));
  }

  /**
   * Replays with {@code write} now and then every {@code every} while entries wait (also those an earlier run left),
   * logging what was written; idempotent.
   */
  public void replayEvery(Duration every, Function<List<JsonObject>, Future<?>> write) {
    if (replayer.compareAndSet(false, true)) {
      vertx.setPeriodic(0, every.toMillis(), id -> replay(write)
          .onSuccess(written -> {
            if (written > 0) {
              LOG.info("Wrote {} spooled {} entr{} to the database", written, name, written == 1 ? "y" : "ies");
            }
          })
          .onFailure(e -> LOG.debug("Spooled {} entries not written yet: {}", name, e.getMessage())));
    }
  }

  /** Whether a {@link #replay} runs now: entries recorded meanwhile should queue behind it. */
  public boolean replaying() {
    return replaying.get();
  }

  /** Removes the first {@code bytes} of the file (a {@link Batch} that was written), keeping what came after. */
  public Future<Void> remove(long bytes) {
    return vertx.executeBlocking(() -> {
      removeNow(bytes);
      return null;
    }, false);
  }

  private synchronized boolean appendNow(byte[] bytes) throws IOException {
    open();
    if (size.get() + bytes.length > maxBytes) {
      if (refused.count() % 1_000 == 0) {
        LOG.error("The {} spool {} is full ({} bytes): entries are lost until the database answers again",
            name, file, maxBytes);
      }
      refused.increment();
      return false;
    }
    boolean first = size.get() == 0;
    if (first && !Files.exists(file)) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      channel.write(ByteBuffer.wrap(bytes));
      channel.force(false);
    }
    size.addAndGet(bytes.length);
    if (first) {
      LOG.warn("The database cannot be reached: {} entries wait in {} until it can", name, file);
    }
    return true;
  }

  private synchronized Batch readNow() throws IOException {
    open();
    if (size.get() == 0 || !Files.exists(file)) {
      return new Batch(List.of(), 0);
    }
    byte[] content = Files.readAllBytes(file);
    List<JsonObject> entries = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < content.length; i++) {
      if (content[i] == '\n') {
        String line = new String(content, start, i - start, StandardCharsets.UTF_8);
        try {
          if (!line.isBlank()) {
            entries.add(new JsonObject(line));
          }
        } catch (DecodeException e) {
          LOG.warn("Skipping a damaged line of {} (cut short by a crash?): {}", file, e.getMessage());
        }
        start = i + 1;
      }
    }
    return new Batch(entries, start);
  }

  private synchronized void removeNow(long bytes) throws IOException {
    open();
    if (bytes <= 0) {
      return;
    }
    long remaining = size.get() - bytes;
    if (remaining <= 0) {
      Files.deleteIfExists(file); // no file: nothing waits, at a glance
      size.set(0);
      LOG.info("The database answers again: the {} spool is written and empty", name);
      return;
    }
    // what was appended after the read moves to the front, through a new file replacing the old one whole
    Path rest = file.resolveSibling(file.getFileName() + ".rest");
    try (FileChannel from = FileChannel.open(file, StandardOpenOption.READ)) {
      SecureFiles.writePrivate(rest, new byte[0]);
      try (FileChannel to = FileChannel.open(rest, StandardOpenOption.WRITE)) {
        from.transferTo(bytes, remaining, to);
        to.force(false);
      }
    }
    Files.move(rest, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    size.set(remaining);
  }

  /**
   * Learns the size of a file left by an earlier run; a last line cut short by a crash is ended, so that the next
   * entry does not join it.
   */
  private void open() throws IOException {
    if (opened) {
      return;
    }
    SecureFiles.createPrivateDirectories(file.getParent());
    long length = Files.exists(file) ? Files.size(file) : 0;
    if (length > 0) {
      try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ByteBuffer last = ByteBuffer.allocate(1);
        channel.read(last, length - 1);
        if (last.get(0) != '\n') {
          channel.write(ByteBuffer.wrap(new byte[] {'\n'}), length);
          channel.force(false);
          length++;
        }
      }
    }
    size.set(length);
    opened = true;
  }
}
