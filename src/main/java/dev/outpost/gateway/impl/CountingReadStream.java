package dev.outpost.gateway.impl;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import java.util.Objects;
import java.util.function.IntConsumer;

/** A read stream that reports the size of every buffer it passes on; flow control goes to the source. */
final class CountingReadStream implements ReadStream<Buffer> {

  private final ReadStream<Buffer> source;
  private final IntConsumer counter;

  CountingReadStream(ReadStream<Buffer> source, IntConsumer counter) {
    this.source = Objects.requireNonNull(source);
    this.counter = Objects.requireNonNull(counter);
  }

  @Override
  public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
    source.exceptionHandler(handler);
    return this;
  }

  @Override
  public ReadStream<Buffer> handler(Handler<Buffer> handler) {
    source.handler(handler == null ? null : buffer -> {
      counter.accept(buffer.length());
      handler.handle(buffer);
    });
    return this;
  }

  @Override
  public ReadStream<Buffer> pause() {
    source.pause();
    return this;
  }

  @Override
  public ReadStream<Buffer> resume() {
    source.resume();
    return this;
  }

  @Override
  public ReadStream<Buffer> fetch(long amount) {
    source.fetch(amount);
    return this;
  }

  @Override
  public ReadStream<Buffer> endHandler(Handler<Void> endHandler) {
    source.endHandler(endHandler);
    return this;
  }
}
