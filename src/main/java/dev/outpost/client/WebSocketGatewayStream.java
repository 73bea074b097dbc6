package dev.outpost.client;

import dev.outpost.http.Tls;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;

/**
 * One stream through a WebSocket gateway (the appliance's {@code wss://host:8443/gateway} or the hub's rendezvous
 * gateway): the first text frame carries the ticket, binary frames carry the stream. Incoming frames are asked
 * for one at a time as the reader consumes them, so a slow reader slows the sender instead of filling memory.
 */
final class WebSocketGatewayStream implements GatewayStream {

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);
  private static final int MAX_FRAME = 64 * 1024;
  /** End of the incoming stream; {@link Frames#closeReason} tells why. */
  private static final ByteBuffer END = ByteBuffer.allocate(0);

  private final WebSocket ws;
  private final Frames frames;
  private final String sessionId;

  private WebSocketGatewayStream(WebSocket ws, Frames frames, String sessionId) {
    this.ws = ws;
    this.frames = frames;
    this.sessionId = sessionId;
  }

  /** Opens the stream; fails with {@link GatewayUnreachable} when the WebSocket cannot be opened at all. */
  static GatewayStream open(SSLContext tls, String url, String ticket) {
    Frames frames = new Frames();
    HttpClient http = HttpClient.newBuilder().sslContext(tls).sslParameters(Tls.jdkParameters())
        .connectTimeout(CONNECT_TIMEOUT).build();
    WebSocket ws;
    try {
      ws = http.newWebSocketBuilder().connectTimeout(CONNECT_TIMEOUT).buildAsync(URI.create(url), frames)
          .get(CONNECT_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new GatewayUnreachable("cannot reach the gateway at " + url + ": " + SiteTrust.rootMessage(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientFailure("interrupted while connecting to " + url);
    }
    try {
      ws.sendText(new JsonObject().put("v", 1).put("ticket", ticket).encode(), true)
          .get(ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      JsonObject answer = new JsonObject(frames.answer.get(ANSWER_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
      if (answer.getInteger("status", 0) != 200 || answer.getString("sessionId") == null) {
        throw new ClientFailure("the gateway at " + url + " answered " + answer.encode());
      }
      return new WebSocketGatewayStream(ws, frames, answer.getString("sessionId"));
    } catch (ExecutionException e) {
      ws.abort();
      throw new ClientFailure("the gateway refused the connection: " + SiteTrust.rootMessage(e));
    } catch (TimeoutException | DecodeException e) {
      ws.abort();
      throw new ClientFailure("the gateway at " + url + " did not answer the ticket", e);
    } catch (InterruptedException e) {
      ws.abort();
      Thread.currentThread().interrupt();
      throw new ClientFailure("interrupted while connecting to " + url);
    }
  }

  @Override
  public String sessionId() {
    return sessionId;
  }

  @Override
  public InputStream in() {
    return new InputStream() {
      private ByteBuffer current = ByteBuffer.allocate(0);

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        while (current != END && !current.hasRemaining()) {
          current = frames.next(ws);
        }
        if (current == END) {
          return -1;
        }
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        return n;
      }
    };
  }

  @Override
  public OutputStream out() {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        for (int done = 0; done < len; ) {
          int n = Math.min(MAX_FRAME, len - done);
          ByteBuffer frame = ByteBuffer.allocate(n).put(b, off + done, n).flip();
          try {
            ws.sendBinary(frame, true).get(); // one send at a time, as the WebSocket API requires
          } catch (ExecutionException e) {
            throw new IOException("the gateway connection failed: " + SiteTrust.rootMessage(e), e);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
          }
          done += n;
        }
      }

      @Override
      public void close() {
        WebSocketGatewayStream.this.close();
      }
    };
  }

  @Override
  public void close() {
    if (!ws.isOutputClosed()) {
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(e -> null);
    }
    ws.abort();
  }

  /** Receives frames: the text answer first, then binary data, one frame requested at a time. */
  private static final class Frames implements WebSocket.Listener {
    final CompletableFuture<String> answer = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();
    private final BlockingQueue<ByteBuffer> data = new ArrayBlockingQueue<>(4);
    private volatile String closeReason = "";

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence chunk, boolean last) {
      text.append(chunk);
      if (last) {
        answer.complete(text.toString());
        text.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer chunk, boolean last) {
      ByteBuffer copy = ByteBuffer.allocate(chunk.remaining()).put(chunk).flip();
      put(copy); // at most one frame is requested at a time, so the queue never fills
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
      closeReason = status + " " + reason;
      answer.completeExceptionally(new IOException(reason.isEmpty() ? "closed (" + status + ")" : reason));
      put(END);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closeReason = SiteTrust.rootMessage(error);
      answer.completeExceptionally(error);
      put(END);
    }

    /** The next data frame (asking the gateway for the one after it), or {@link #END}. */
    ByteBuffer next(WebSocket ws) throws IOException {
      try {
        ByteBuffer frame = data.take();
        if (frame == END) {
          data.offer(END); // every later read sees the end too
        } else {
          ws.request(1);
        }
        return frame;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    private void put(ByteBuffer frame) {
      if (!data.offer(frame)) {
        throw new IllegalStateException("more frames than requested; closing: " + closeReason);
      }
    }
  }
}
