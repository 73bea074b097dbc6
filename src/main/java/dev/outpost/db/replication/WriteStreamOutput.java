package dev.outpost.db.replication;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * An {@link OutputStream} for a worker thread that writes into a Vert.x {@link WriteStream} on its context, one
 * chunk at a time: it waits while the stream's write queue is full, so at most one chunk beyond that queue is held.
 * {@link #close()} ends the stream.
 */
final class WriteStreamOutput extends OutputStream {

  private static final int CHUNK = 64 * 1024;

  private final Context context;
  private final WriteStream<Buffer> target;
  private final Duration stallLimit;
  private final byte[] chunk = new byte[CHUNK];
  private int used;
  private volatile Throwable failure;
  private boolean closed;

  WriteStreamOutput(Context context, WriteStream<Buffer> target, Duration stallLimit) {
    this.context = context;
    this.target = target;
    this.stallLimit = stallLimit;
    context.runOnContext(v -> target.exceptionHandler(e -> failure = e));
  }

  @Override
  public void write(int b) throws IOException {
    if (used == CHUNK) {
      flush();
    }
    chunk[used++] = (byte) b;
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    while (length > 0) {
      if (used == CHUNK) {
        flush();
      }
      int n = Math.min(length, CHUNK - used);
      System.arraycopy(bytes, offset, chunk, used, n);
      used += n;
      offset += n;
      length -= n;
    }
  }

  /** Hands the buffered bytes to the stream and returns once it accepts more. */
  @Override
  public void flush() throws IOException {
    if (used == 0) {
      return;
    }
    Buffer buffer = Buffer.buffer(java.util.Arrays.copyOf(chunk, used));
    used = 0;
    CompletableFuture<Void> accepted = new CompletableFuture<>();
    context.runOnContext(v -> {
      target.write(buffer).onFailure(e -> {
        failure = e;
        accepted.complete(null);
      });
      if (target.writeQueueFull()) {
        target.drainHandler(drained -> accepted.complete(null));
      } else {
        accepted.complete(null);
      }
    });
    await(accepted);
  }

  private void await(CompletableFuture<Void> done) throws IOException {
    try {
      done.get(stallLimit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new IOException("the receiver took nothing for " + stallLimit.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while the receiver was slow");
    } catch (ExecutionException e) {
      throw new IOException(e.getCause());
    }
    Throwable failed = failure;
    if (failed != null) {
      throw new IOException("the stream to the receiver failed: " + failed.getMessage(), failed);
    }
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      flush();
    } finally {
      CompletableFuture<Void> ended = new CompletableFuture<>();
      context.runOnContext(v -> target.end().onComplete(r -> ended.complete(null)));
      await(ended);
    }
  }
}
