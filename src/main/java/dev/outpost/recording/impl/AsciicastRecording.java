package dev.outpost.recording.impl;

import dev.outpost.gateway.TerminalRecorder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One terminal written as an asciicast v2 file: the header line, then one {@code [seconds, code, data]} line per
 * event ({@code "o"} output, {@code "i"} input, {@code "r"} resize as {@code COLSxROWS}). Lines go to an
 * {@link AsyncFile} (its writes run off the event loop) opened {@code rw-------}; the file never grows past
 * {@code maxBytes}: what comes after is left out and the recording says it was truncated. The SHA-256 of the bytes is
 * taken as they are written, so the finished file needs no second read. Used on the terminal's context only.
 */
public final class AsciicastRecording implements TerminalRecorder.Recording {

  private static final Logger LOG = LoggerFactory.getLogger(AsciicastRecording.class);

  /** What a finished recording is: its file's size and SHA-256 (hex), and whether it stopped at the size limit. */
  public record Completed(Path file, long bytes, String sha256, boolean truncated) {
  }

  private final Path file;
  private final int maxBytes;
  private final Consumer<Completed> onEnd;
  private final Future<AsyncFile> opened;
  private final MessageDigest digest;
  private final Utf8Stream output = new Utf8Stream();
  private final Utf8Stream input = new Utf8Stream();
  private final long started = System.nanoTime();
  private long bytes;
  private boolean truncated;
  private boolean ended;
  /** The last write: each waits for the one before, and the file closes after the last (nothing is lost at end). */
  private Future<Void> written;

  /**
   * Creates the file and writes the header; {@code onEnd} gets the finished recording once its file is closed.
   *
   * @param header the asciicast header ({@code version}, {@code width}, {@code height}, ...)
   */
  public AsciicastRecording(Vertx vertx, Path file, JsonObject header, int maxBytes, Consumer<Completed> onEnd) {
    this.file = Objects.requireNonNull(file);
    this.maxBytes = maxBytes;
    this.onEnd = Objects.requireNonNull(onEnd);
    this.digest = sha256();
    this.opened = vertx.fileSystem().open(file.toString(), new OpenOptions().setWrite(true).setCreateNew(true)
        .setPerms("rw-------"));
    opened.onFailure(e -> LOG.error("Cannot write the terminal recording {}: {}", file, e.getMessage()));
    this.written = opened.mapEmpty();
    append(header.encode());
  }

  @Override
  public void output(Buffer data) {
    event("o", output.decode(data));
  }

  @Override
  public void input(Buffer data) {
    event("i", input.decode(data));
  }

  @Override
  public void resize(int cols, int rows) {
    event("r", cols + "x" + rows);
  }

  @Override
  public void end() {
    if (ended) {
      return;
    }
    ended = true;
    written.transform(writes -> opened.failed() ? Future.<Void>failedFuture(opened.cause())
            : opened.result().close().compose(v -> writes.succeeded() ? Future.<Void>succeededFuture()
                : Future.<Void>failedFuture(writes.cause())))
        .onSuccess(v -> onEnd.accept(new Completed(file, bytes, HexFormat.of().formatHex(digest.digest()),
            truncated)))
        .onFailure(e -> LOG.error("The terminal recording {} could not be completed: {}", file, e.getMessage()));
  }

  private void event(String code, String data) {
    if (ended || data.isEmpty()) {
      return;
    }
    double seconds = Math.round((System.nanoTime() - started) / 1_000.0) / 1_000_000.0;
    append(new JsonArray().add(seconds).add(code).add(data).encode());
  }

  private void append(String line) {
    if (truncated) {
      return;
    }
    byte[] encoded = (line + "\n").getBytes(StandardCharsets.UTF_8);
    if (bytes + encoded.length > maxBytes) {
      truncated = true;
      LOG.warn("The terminal recording {} reached its limit of {} bytes; the rest of the session is not recorded",
          file, maxBytes);
      return;
    }
    bytes += encoded.length;
    digest.update(encoded);
    Buffer buffer = Buffer.buffer(encoded);
    written = written.compose(v -> opened.result().write(buffer));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Text from a byte stream that may split a UTF-8 character between two reads: the split part waits. */
  static final class Utf8Stream {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
    private byte[] carry = new byte[0];

    String decode(Buffer data) {
      byte[] next = data.getBytes();
      ByteBuffer in = ByteBuffer.allocate(carry.length + next.length).put(carry).put(next).flip();
      CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
      decoder.decode(in, out, false);
      carry = new byte[in.remaining()];
      in.get(carry);
      return out.flip().toString();
    }
  }
}
