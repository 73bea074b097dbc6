package dev.outpost.gateway.impl;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The browser's end of a terminal stream, as a {@link Splice.End} that outlives one WebSocket: when the socket drops
 * without a close frame (a network blip, a laptop lid), the shell stays open for {@link #RESUME_WINDOW} while the
 * page reconnects with the link's resume token; output meanwhile is kept up to {@link #MAX_DETACHED} bytes, after
 * which the shell is held back (the pipe pauses it). A close frame from the page (1000 or 1001: the user closed the
 * tab or the terminal) ends the link at once. Binary frames carry keystrokes; text frames carry control messages
 * ({@code resize}, {@code ping}). State is touched on the link's context only, whichever event loop a resuming
 * socket arrived on.
 */
final class TerminalLink implements Splice.End {

  /** How long a dropped terminal waits for its page to come back. */
  static final Duration RESUME_WINDOW = Duration.ofSeconds(60);
  /** Output kept for a page that is away; past it the shell's output waits. */
  static final int MAX_DETACHED = 64 * 1024;
  /** A page sends a ping every 10 s; a socket silent this long is taken for dropped. */
  static final Duration SILENCE = Duration.ofSeconds(35);

  private final Vertx vertx;
  private final Context context;
  private final String resumeToken;
  private final Consumer<SshTerminals.Size> resizes;
  private final Runnable onGone;
  private final Deque<Buffer> detached = new ArrayDeque<>();
  private final Input input = new Input();
  private final Output output = new Output();
  private ServerWebSocket ws;
  private int detachedBytes;
  private long lastFrame = System.nanoTime();
  private long watchdog = -1;
  private long expiry = -1;
  private boolean paused;
  private boolean closed;
  private Runnable closeHandler;
  private Handler<Buffer> dataHandler;
  private Handler<Void> endHandler;
  private Handler<Void> drainHandler;

  /**
   * @param resizes gets the page's new terminal sizes
   * @param onGone runs once when the link ends for good (to forget its resume token)
   */
  TerminalLink(Vertx vertx, Context context, String resumeToken, Consumer<SshTerminals.Size> resizes,
      Runnable onGone) {
    this.vertx = Objects.requireNonNull(vertx);
    this.context = Objects.requireNonNull(context);
    this.resumeToken = Objects.requireNonNull(resumeToken);
    this.resizes = Objects.requireNonNull(resizes);
    this.onGone = Objects.requireNonNull(onGone);
  }

  String resumeToken() {
    return resumeToken;
  }

  /** Carries the stream over this socket from now on (the first one, or a resuming page's); any context. */
  void attach(ServerWebSocket socket, Runnable onAttached, Runnable onGoneMeanwhile) {
    onContext(() -> {
      if (closed) {
        onGoneMeanwhile.run();
        return;
      }
      ServerWebSocket previous = ws;
      ws = socket;
      if (previous != null && !previous.isClosed()) {
        previous.close((short) 4409, "resumed elsewhere");
      }
      vertx.cancelTimer(expiry);
      expiry = -1;
      lastFrame = System.nanoTime();
      socket.frameHandler(frame -> onContext(() -> frame(socket, frame)));
      socket.closeHandler(v -> onContext(() -> dropped(socket)));
      onAttached.run();
      while (!detached.isEmpty()) {
        socket.writeBinaryMessage(detached.poll());
      }
      detachedBytes = 0;
      // the handshake paused the socket after its first frame; from now on it follows the pipe's demand
      if (paused) {
        socket.pause();
      } else {
        socket.resume();
      }
      if (watchdog < 0) {
        watchdog = vertx.setPeriodic(SILENCE.toMillis() / 3, id -> onContext(this::checkSilence));
      }
      drained();
    });
  }

  private void frame(ServerWebSocket socket, WebSocketFrame frame) {
    if (socket != ws || closed) {
      return;
    }
    lastFrame = System.nanoTime();
    if (frame.isBinary() || (frame.isContinuation() && frame.binaryData().length() > 0 && !frame.isText())) {
      if (dataHandler != null) {
        dataHandler.handle(frame.binaryData());
      }
    } else if (frame.isText()) {
      control(socket, frame.textData());
    }
  }

  /** {@code {"type":"resize","cols":N,"rows":M}} or {@code {"type":"ping"}}; anything else is ignored. */
  private void control(ServerWebSocket socket, String text) {
    JsonObject message;
    try {
      message = new JsonObject(text);
    } catch (DecodeException e) {
      return;
    }
    Object type = message.getValue("type");
    if ("resize".equals(type) && message.getValue("cols") instanceof Number cols
        && message.getValue("rows") instanceof Number rows) {
      resizes.accept(new SshTerminals.Size(cols.intValue(), rows.intValue()));
    } else if ("ping".equals(type)) {
      socket.writeTextMessage("{\"type\":\"pong\"}");
    }
  }

  /** The socket closed: a close frame from the page ends the terminal, a drop starts the resume window. */
  private void dropped(ServerWebSocket socket) {
    if (socket != ws || closed) {
      return;
    }
    Short code = socket.closeStatusCode();
    if (code != null && (code == 1000 || code == 1001)) {
      ws = null;
      gone();
      return;
    }
    detach();
  }

  /** Keeps the shell without a socket until the page resumes or the window passes. */
  private void detach() {
    ws = null;
    expiry = vertx.setTimer(RESUME_WINDOW.toMillis(), id -> onContext(this::gone));
  }

  /** A socket that carried nothing, not even the page's pings, is dropped even if TCP has not noticed yet. */
  private void checkSilence() {
    if (ws != null && System.nanoTime() - lastFrame > SILENCE.toNanos()) {
      ServerWebSocket silent = ws;
      detach();
      silent.close((short) 4408, "no ping from the page");
    }
  }

  /** The page is gone for good: the stream ends. */
  private void gone() {
    if (closed) {
      return;
    }
    closeQuietly();
    if (endHandler != null) {
      endHandler.handle(null);
    }
    if (closeHandler != null) {
      closeHandler.run();
    }
  }

  private void closeQuietly() {
    closed = true;
    vertx.cancelTimer(expiry);
    vertx.cancelTimer(watchdog);
    detached.clear();
    detachedBytes = 0;
    onGone.run();
  }

  private void drained() {
    Handler<Void> handler = drainHandler;
    if (handler != null && !output.writeQueueFull()) {
      drainHandler = null;
      handler.handle(null);
    }
  }

  private void onContext(Runnable action) {
    if (Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }

  @Override
  public ReadStream<Buffer> in() {
    return input;
  }

  @Override
  public WriteStream<Buffer> out() {
    return output;
  }

  @Override
  public void onClose(Runnable handler) {
    this.closeHandler = handler;
  }

  /** The stream ended on the host's side (the shell exited, a log-off, idle): tell the page and let go. */
  @Override
  public void end(boolean idle) {
    onContext(() -> {
      if (closed) {
        return;
      }
      ServerWebSocket socket = ws;
      ws = null;
      closeQuietly();
      if (socket != null && !socket.isClosed()) {
        socket.close((short) 1000, idle ? "idle timeout" : "the session ended");
      }
    });
  }

  /** Keystrokes from whichever socket is attached. */
  private final class Input implements ReadStream<Buffer> {
    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
      dataHandler = handler;
      return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
      paused = true;
      if (ws != null) {
        ws.pause();
      }
      return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
      paused = false;
      if (ws != null) {
        ws.resume();
      }
      return this;
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
      return resume();
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> handler) {
      endHandler = handler;
      return this;
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }
  }

  /** Output to the attached socket, or kept (bounded) while the page is away. */
  private final class Output implements WriteStream<Buffer> {
    @Override
    public Future<Void> write(Buffer data) {
      if (closed) {
        return Future.succeededFuture();
      }
      if (ws != null) {
        return ws.writeBinaryMessage(data).recover(e -> Future.succeededFuture());
      }
      detached.add(data);
      detachedBytes += data.length();
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> end() {
      return Future.succeededFuture();
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      // a socket that closed a moment ago, before its close handler ran, takes nothing more: not full
      return ws != null ? !ws.isClosed() && ws.writeQueueFull() : detachedBytes >= MAX_DETACHED;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      drainHandler = handler;
      if (ws != null) {
        ServerWebSocket socket = ws;
        socket.drainHandler(v -> onContext(() -> {
          if (socket == ws) {
            drained();
          }
        }));
      }
      return this;
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      return this;
    }
  }
}
