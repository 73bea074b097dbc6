package dev.outpost.db.replication;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A byte stream over the event bus in acknowledged chunks: complete, in order, and held back by a paused reader. */
class BusChunkStreamTest {

  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  @Test
  void theReaderGetsEveryByteInOrderAndTheEnd() throws Exception {
    // GIVEN a megabyte of random bytes and a reader at an address
    byte[] data = new byte[1 << 20];
    new Random(17).nextBytes(data);
    Buffer received = Buffer.buffer();
    CompletableFuture<Void> ended = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      ReadStream<Buffer> reader = BusChunkStream.reader(vertx, "test.chunks");
      reader.handler(received::appendBuffer).endHandler(end -> ended.complete(null));
      // WHEN a writer sends it in 16 KB chunks, waiting whenever its window is full
      WriteStream<Buffer> writer = BusChunkStream.writer(vertx, "test.chunks");
      write(writer, data, 0);
    });

    // THEN the reader has all of it, and its end
    ended.get(30, TimeUnit.SECONDS);
    assertThat(received.getBytes()).isEqualTo(data);
  }

  @Test
  void aPausedReaderHoldsTheWriterBackAfterOneWindow() throws Exception {
    // GIVEN a paused reader
    AtomicInteger chunks = new AtomicInteger();
    AtomicBoolean full = new AtomicBoolean();
    AtomicInteger sent = new AtomicInteger();
    AtomicBoolean drainedWhilePaused = new AtomicBoolean(true);
    AtomicInteger deliveredWhilePaused = new AtomicInteger(-1);
    AtomicBoolean drained = new AtomicBoolean();
    vertx.runOnContext(v -> {
      ReadStream<Buffer> reader = BusChunkStream.reader(vertx, "test.paused");
      reader.handler(chunk -> chunks.incrementAndGet());
      reader.pause();
      // WHEN a writer writes until its queue is full
      WriteStream<Buffer> writer = BusChunkStream.writer(vertx, "test.paused");
      while (!writer.writeQueueFull()) {
        writer.write(Buffer.buffer("chunk"));
        sent.incrementAndGet();
      }
      full.set(true);
      writer.drainHandler(ignored -> drained.set(true));
      // THEN nothing is delivered nor acknowledged while it is paused, and once it resumes every chunk arrives
      vertx.setTimer(500, id -> {
        drainedWhilePaused.set(drained.get());
        deliveredWhilePaused.set(chunks.get());
        reader.resume();
      });
    });
    Poll.until("the writer's window fills", DEADLINE, full::get);
    assertThat(sent.get()).isEqualTo(BusChunkStream.WINDOW);
    Poll.until("every chunk arrives after the resume", DEADLINE, () -> chunks.get() == BusChunkStream.WINDOW);
    assertThat(deliveredWhilePaused.get()).isZero();
    assertThat(drainedWhilePaused.get()).as("the writer drained while the reader was paused").isFalse();
    Poll.until("the writer drains once the chunks are acknowledged", DEADLINE, drained::get);
  }

  private void write(WriteStream<Buffer> writer, byte[] data, int from) {
    int at = from;
    while (at < data.length && !writer.writeQueueFull()) {
      int end = Math.min(data.length, at + 16 * 1024);
      writer.write(Buffer.buffer(java.util.Arrays.copyOfRange(data, at, end)));
      at = end;
    }
    if (at >= data.length) {
      writer.end();
      return;
    }
    int next = at;
    writer.drainHandler(v -> write(writer, data, next));
  }
}
