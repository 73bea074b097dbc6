package dev.outpost.gateway.impl;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Objects;
import org.apache.sshd.common.io.IoInputStream;
import org.apache.sshd.common.io.IoOutputStream;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * The far end of a browser terminal's stream: the shell channel of an SSH session, as a {@link Splice.End}. Reads
 * are issued one at a time and only while the pipe wants data, so a slow browser holds the host back through the
 * SSH window instead of filling the node's memory; writes go one at a time (MINA allows one pending write) and
 * report a full queue past {@link #MAX_QUEUED} bytes. Everything runs on the terminal's Vert.x context; MINA's
 * callbacks are handed to it.
 */
final class SshShellEnd implements Splice.End {

  /** Bytes asked for per read of the shell's output. */
  private static final int READ_SIZE = 8192;
  /** Keystrokes and pastes queued for the host before the browser's side is paused. */
  static final int MAX_QUEUED = 64 * 1024;

  private final Context context;
  private final SshTerminals.Shell shell;
  private final Output output;
  private final Input input;

  SshShellEnd(Context context, SshTerminals.Shell shell) {
    this.context = Objects.requireNonNull(context);
    this.shell = Objects.requireNonNull(shell);
    this.output = new Output();
    this.input = new Input();
    // the SSH session exists for this one shell: when the shell ends, so does the session
    shell.channel().addCloseFutureListener(f -> shell.session().close(false));
  }

  @Override
  public ReadStream<Buffer> in() {
    return output;
  }

  @Override
  public WriteStream<Buffer> out() {
    return input;
  }

  @Override
  public void onClose(Runnable handler) {
    shell.channel().addCloseFutureListener(f -> context.runOnContext(v -> handler.run()));
  }

  @Override
  public void end(boolean idle) {
    shell.channel().close(false);
  }

  /** Tells the host's pseudo-terminal its new size. */
  void resize(SshTerminals.Size size) {
    try {
      shell.channel().sendWindowChange(size.cols(), size.rows());
    } catch (IOException e) {
      // the channel is closing; its close ends the stream
    }
  }

  String hostKey() {
    return shell.hostKey();
  }

  private void onContext(Runnable action) {
    context.runOnContext(v -> action.run());
  }

  /** What the shell prints, read on demand. */
  private final class Output implements ReadStream<Buffer> {
    private final IoInputStream source = shell.channel().getAsyncOut();
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptionHandler;
    private boolean paused;
    private boolean reading;
    private boolean ended;

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
      this.handler = handler;
      readNext();
      return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
      paused = true;
      return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
      paused = false;
      readNext();
      return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
      return resume();
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
      this.endHandler = endHandler;
      return this;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      this.exceptionHandler = handler;
      return this;
    }

    private void readNext() {
      if (paused || reading || ended || handler == null) {
        return;
      }
      reading = true;
      source.read(new ByteArrayBuffer(READ_SIZE)).addListener(read -> onContext(() -> {
        reading = false;
        if (read.getException() != null || read.getRead() < 0) {
          finish(); // EOF or a closed channel: the shell is gone
          return;
        }
        org.apache.sshd.common.util.buffer.Buffer data = read.getBuffer();
        byte[] bytes = Arrays.copyOfRange(data.array(), data.rpos(), data.wpos());
        if (bytes.length > 0 && handler != null) {
          handler.handle(Buffer.buffer(bytes));
        }
        readNext();
      }));
    }

    private void finish() {
      if (ended) {
        return;
      }
      ended = true;
      if (endHandler != null) {
        endHandler.handle(null);
      }
    }
  }

  /** What the user types, written one SSH packet at a time. */
  private final class Input implements WriteStream<Buffer> {
    private final IoOutputStream sink = shell.channel().getAsyncIn();
    private final Deque<Buffer> queue = new ArrayDeque<>();
    private final Deque<Promise<Void>> waiting = new ArrayDeque<>();
    private int queued;
    private boolean writing;
    private Handler<Void> drainHandler;
    private Handler<Throwable> exceptionHandler;

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      this.exceptionHandler = handler;
      return this;
    }

    @Override
    public Future<Void> write(Buffer data) {
      Promise<Void> written = Promise.promise();
      queue.add(data);
      waiting.add(written);
      queued += data.length();
      pump();
      return written.future();
    }

    /** Sends everything queued as one packet when no write is in flight. */
    private void pump() {
      if (writing || queue.isEmpty()) {
        return;
      }
      Buffer batch = Buffer.buffer(queued);
      queue.forEach(batch::appendBuffer);
      queue.clear();
      Deque<Promise<Void>> batchWaiting = new ArrayDeque<>(waiting);
      waiting.clear();
      int size = batch.length();
      writing = true;
      try {
        sink.writeBuffer(new ByteArrayBuffer(batch.getBytes())).addListener(done -> onContext(() -> {
          writing = false;
          queued -= size;
          if (!done.isWritten()) {
            failed(batchWaiting, done.getException());
            return;
          }
          batchWaiting.forEach(Promise::tryComplete);
          if (drainHandler != null && queued < MAX_QUEUED / 2) {
            Handler<Void> drained = drainHandler;
            drainHandler = null;
            drained.handle(null);
          }
          pump();
        }));
      } catch (IOException | RuntimeException e) {
        writing = false;
        queued -= size;
        failed(batchWaiting, e);
      }
    }

    private void failed(Deque<Promise<Void>> batch, Throwable e) {
      Throwable cause = e == null ? new IOException("the shell is closed") : e;
      batch.forEach(p -> p.tryFail(cause));
      if (exceptionHandler != null) {
        exceptionHandler.handle(cause);
      }
    }

    @Override
    public Future<Void> end() {
      shell.channel().close(false);
      return Future.succeededFuture();
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return queued >= MAX_QUEUED;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      this.drainHandler = handler;
      return this;
    }
  }
}
