package dev.outpost.db.replication;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An {@link InputStream} for a worker thread that reads a Vert.x {@link ReadStream}: the stream is paused while
 * {@value #HIGH_WATER} buffers wait and resumed when the reader has taken all but {@value #LOW_WATER}, so memory
 * stays bounded whatever the sender's pace. The stream's end is this stream's end; its failure is a read failure.
 */
final class ReadStreamInput extends InputStream {

  static final int HIGH_WATER = 8;
  static final int LOW_WATER = 2;
  private static final Buffer END = Buffer.buffer();

  private final Context context;
  private final ReadStream<Buffer> source;
  private final Duration stallLimit;
  private final LinkedBlockingQueue<Buffer> queue = new LinkedBlockingQueue<>();
  private volatile Throwable failure;
  private volatile boolean paused;
  private Buffer current;
  private int position;
  private boolean ended;

  ReadStreamInput(Context context, ReadStream<Buffer> source, Duration stallLimit) {
    this.context = context;
    this.source = source;
    this.stallLimit = stallLimit;
    // on the stream's own context the handlers must be set now: a request's body may arrive before a later task
    if (Vertx.currentContext() == context) {
      attach();
    } else {
      context.runOnContext(v -> attach());
    }
  }

  private void attach() {
    source.exceptionHandler(e -> {
      failure = e;
      queue.add(END);
    });
    source.endHandler(end -> queue.add(END));
    source.handler(this::arrived);
  }

  private void arrived(Buffer buffer) {
    queue.add(buffer);
    if (queue.size() >= HIGH_WATER && !paused) {
      paused = true;
      source.pause();
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] bytes, int offset, int length) throws IOException {
    if (length == 0) {
      return 0;
    }
    while (current == null || position == current.length()) {
      if (ended) {
        return -1;
      }
      current = next();
      position = 0;
    }
    int n = Math.min(length, current.length() - position);
    current.getBytes(position, position + n, bytes, offset);
    position += n;
    return n;
  }

  private Buffer next() throws IOException {
    Buffer buffer;
    try {
      buffer = queue.poll(stallLimit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the sender");
    }
    if (buffer == null) {
      throw new IOException("the sender sent nothing for " + stallLimit.toSeconds() + " s");
    }
    if (paused && queue.size() <= LOW_WATER) {
      paused = false;
      context.runOnContext(v -> source.resume());
    }
    if (buffer == END) {
      ended = true;
      Throwable failed = failure;
      if (failed != null) {
        throw new IOException("the stream from the sender failed: " + failed.getMessage(), failed);
      }
    }
    return buffer;
  }

  @Override
  public void close() {
    context.runOnContext(v -> {
      source.handler(null);
      source.resume();
    });
  }
}
