package dev.outpost.db.replication;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A byte stream carried over the (clustered, mutual-TLS) event bus as a series of requests to one address, each
 * chunk acknowledged by its receiver: the sender keeps at most {@value #WINDOW} chunks unacknowledged, and the
 * receiver acknowledges only what its reader took, so that neither side buffers more than a window whatever the
 * speed of the other. Chunks carry a sequence number (header {@value #SEQ}); the last one, empty, carries
 * {@value #END}. A base backup travels this way from the primary's node to a node that clones it.
 */
public final class BusChunkStream {

  /** Chunks a sender may have unacknowledged. */
  public static final int WINDOW = 8;
  static final String SEQ = "seq";
  static final String END = "end";
  /** How long one chunk may wait for its acknowledgement before the stream fails. */
  static final long CHUNK_TIMEOUT_MS = 120_000;

  private BusChunkStream() {
  }

  /** The sending side: writes become requests to {@code address}. */
  public static WriteStream<Buffer> writer(Vertx vertx, String address) {
    return new Writer(vertx, address);
  }

  /** The receiving side at {@code address}, registered on the caller's context; it unregisters at the end. */
  public static ReadStream<Buffer> reader(Vertx vertx, String address) {
    return new Reader(vertx, address);
  }

  private static final class Writer implements WriteStream<Buffer> {
    private final Vertx vertx;
    private final String address;
    private long seq;
    private int outstanding;
    private Handler<Void> drain;
    private Handler<Throwable> exceptions;
    private Throwable failure;

    Writer(Vertx vertx, String address) {
      this.vertx = Objects.requireNonNull(vertx);
      this.address = Objects.requireNonNull(address);
    }

    @Override
    public Future<Void> write(Buffer data) {
      return send(data, false);
    }

    @Override
    public Future<Void> end() {
      return send(Buffer.buffer(), true);
    }

    private Future<Void> send(Buffer data, boolean end) {
      if (failure != null) {
        return Future.failedFuture(failure);
      }
      outstanding++;
      DeliveryOptions options = new DeliveryOptions().setSendTimeout(CHUNK_TIMEOUT_MS)
          .addHeader(SEQ, Long.toString(seq++)).addHeader(END, Boolean.toString(end));
      return vertx.eventBus().request(address, data, options).<Void>mapEmpty().andThen(ar -> {
        outstanding--;
        if (ar.failed() && failure == null) {
          failure = ar.cause();
          if (exceptions != null) {
            exceptions.handle(ar.cause());
          }
        } else if (drain != null && outstanding <= WINDOW / 2) {
          Handler<Void> handler = drain;
          drain = null;
          handler.handle(null);
        }
      });
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      exceptions = handler;
      return this;
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      return this; // the window is fixed: one chunk is one request
    }

    @Override
    public boolean writeQueueFull() {
      return outstanding >= WINDOW;
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      drain = handler;
      return this;
    }
  }

  private static final class Reader implements ReadStream<Buffer> {
    private final MessageConsumer<Buffer> consumer;
    private final Context context;
    private final ArrayDeque<Message<Buffer>> waiting = new ArrayDeque<>();
    private long expected;
    private long demand = Long.MAX_VALUE;
    private boolean ended;
    private Handler<Buffer> handler;
    private Handler<Void> endHandler;
    private Handler<Throwable> exceptions;

    Reader(Vertx vertx, String address) {
      this.context = vertx.getOrCreateContext();
      this.consumer = vertx.eventBus().consumer(address, this::arrived);
    }

    private void arrived(Message<Buffer> chunk) {
      long seq = Long.parseLong(chunk.headers().get(SEQ) == null ? "-1" : chunk.headers().get(SEQ));
      if (ended || seq != expected) {
        chunk.fail(400, "chunk " + seq + " out of order (expected " + expected + ")");
        fail(new IllegalStateException("the stream lost chunk " + expected + " (got " + seq + ")"));
        return;
      }
      expected++;
      waiting.add(chunk);
      deliver();
    }

    private void deliver() {
      while (demand > 0 && !waiting.isEmpty() && !ended) {
        Message<Buffer> chunk = waiting.poll();
        if (demand != Long.MAX_VALUE) {
          demand--;
        }
        if (Boolean.parseBoolean(chunk.headers().get(END))) {
          ended = true;
          consumer.unregister();
          if (endHandler != null) {
            endHandler.handle(null);
          }
        } else if (handler != null) {
          handler.handle(chunk.body());
        }
        chunk.reply(null);
      }
    }

    private void fail(Throwable cause) {
      ended = true;
      consumer.unregister();
      waiting.clear();
      if (exceptions != null) {
        exceptions.handle(cause);
      }
    }

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      exceptions = handler;
      return this;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
      this.handler = handler;
      return this;
    }

    @Override
    public ReadStream<Buffer> pause() {
      demand = 0;
      return this;
    }

    @Override
    public ReadStream<Buffer> resume() {
      return fetch(Long.MAX_VALUE);
    }

    @Override
    public ReadStream<Buffer> fetch(long amount) {
      demand = amount == Long.MAX_VALUE || demand > Long.MAX_VALUE - amount ? Long.MAX_VALUE : demand + amount;
      context.runOnContext(v -> deliver());
      return this;
    }

    @Override
    public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
      this.endHandler = endHandler;
      return this;
    }
  }
}
