package dev.outpost.gateway.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.net.NetSocket;
import io.vertx.core.streams.ReadStream;
import io.vertx.core.streams.WriteStream;

/** The two carriers a gateway stream end can have: a TCP/TLS socket, or a WebSocket with binary frames. */
final class StreamEnds {

  private StreamEnds() {
  }

  static Splice.End of(NetSocket socket) {
    return new Splice.End() {
      @Override
      public ReadStream<Buffer> in() {
        return socket;
      }

      @Override
      public WriteStream<Buffer> out() {
        return socket;
      }

      @Override
      public void onClose(Runnable handler) {
        socket.closeHandler(v -> handler.run());
      }

      @Override
      public void end(boolean idle) {
        socket.end();
      }
    };
  }

  /** A WebSocket end; an idle end is closed with 1000 "idle timeout" so that the peer can tell why. */
  static Splice.End of(WebSocketBase ws) {
    return new Splice.End() {
      @Override
      public ReadStream<Buffer> in() {
        return ws;
      }

      @Override
      public WriteStream<Buffer> out() {
        return ws;
      }

      @Override
      public void onClose(Runnable handler) {
        ws.closeHandler(v -> handler.run());
      }

      @Override
      public void end(boolean idle) {
        if (!ws.isClosed()) {
          if (idle) {
            ws.close((short) 1000, "idle timeout");
          } else {
            ws.end();
          }
        }
      }
    };
  }
}
