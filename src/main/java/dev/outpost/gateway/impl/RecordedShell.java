package dev.outpost.gateway.impl;

import dev.outpost.gateway.TerminalRecorder.Recording;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;
import java.util.Objects;

/**
 * A browser terminal's shell whose stream is also recorded: what the host prints goes to the recording as it is read,
 * what the user types as it is written to the host; everything else is the shell's own. The recording ends when the
 * shell's channel closes, however the stream ended.
 */
final class RecordedShell implements Splice.End {

  private final SshShellEnd shell;
  private final Recording recording;
  private final ReadStream<Buffer> output;
  private final WriteStream<Buffer> input;

  RecordedShell(SshShellEnd shell, Recording recording) {
    this.shell = Objects.requireNonNull(shell);
    this.recording = Objects.requireNonNull(recording);
    this.output = new Output(shell.in());
    this.input = new Input(shell.out());
    shell.onClose(recording::end);
  }

  /** Tells the host's pseudo-terminal its new size, and the recording. */
  void resize(SshTerminals.Size size) {
    recording.resize(size.cols(), size.rows());
    shell.resize(size);
  }

  String hostKey() {
    return shell.hostKey();
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
    shell.onClose(handler);
  }

  @Override
  public void end(boolean idle) {
    shell.end(idle);
  }

  /** The shell's output, recorded on its way to the page. */
  private final class Output implements ReadStream<Buffer> {
    private final ReadStream<Buffer> source;

    Output(ReadStream<Buffer> source) {
      this.source = source;
    }

    @Override
    public ReadStream<Buffer> handler(Handler<Buffer> handler) {
      source.handler(handler == null ? null : data -> {
        recording.output(data);
        handler.handle(data);
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

    @Override
    public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      source.exceptionHandler(handler);
      return this;
    }
  }

  /** The user's keystrokes, recorded on their way to the host. */
  private final class Input implements WriteStream<Buffer> {
    private final WriteStream<Buffer> sink;

    Input(WriteStream<Buffer> sink) {
      this.sink = sink;
    }

    @Override
    public Future<Void> write(Buffer data) {
      recording.input(data);
      return sink.write(data);
    }

    @Override
    public Future<Void> end() {
      return sink.end();
    }

    @Override
    public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
      sink.setWriteQueueMaxSize(maxSize);
      return this;
    }

    @Override
    public boolean writeQueueFull() {
      return sink.writeQueueFull();
    }

    @Override
    public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
      sink.drainHandler(handler);
      return this;
    }

    @Override
    public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
      sink.exceptionHandler(handler);
      return this;
    }
  }
}
