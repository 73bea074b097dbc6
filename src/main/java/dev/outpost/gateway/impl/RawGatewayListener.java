package dev.outpost.gateway.impl;

import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The raw TLS gateway port: a client sends {@code OUTPOST/1 <ticket>\n}, gets {@code OK <sessionId>\n} and then
 * the stream, or {@code ERR <status> <detail>\n} and a close. Deployed once per event loop; instances share the
 * port.
 */
public final class RawGatewayListener extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(RawGatewayListener.class);

  /** The protocol name and version every handshake line starts with. */
  public static final String PREFIX = "OUTPOST/1 ";
  /** Longest handshake line accepted, newline included. */
  static final int MAX_LINE = 1024;

  private final NetServerOptions options;
  private final SessionRelay relay;
  private volatile int actualPort;
  private volatile NetServer server;

  public RawGatewayListener(NetServerOptions options, SessionRelay relay) {
    this.options = Objects.requireNonNull(options);
    this.relay = Objects.requireNonNull(relay);
  }

  @Override
  public Future<?> start() {
    return vertx.createNetServer(options).connectHandler(this::accepted).listen()
        .onSuccess(started -> {
          server = started;
          actualPort = started.actualPort();
        });
  }

  public int actualPort() {
    return actualPort;
  }

  /** The server once it listens (its TLS settings follow the node's certificate); null before. */
  public NetServer server() {
    return server;
  }

  private void accepted(NetSocket socket) {
    HandshakeSlots.Admission admission = relay.handshakes().tryAcquire(clientAddress(socket));
    if (admission.slot() == null) {
      refuse(socket, admission.refusal());
      return;
    }
    new Handshake(socket, admission.slot()).begin();
  }

  private static String clientAddress(NetSocket socket) {
    return socket.remoteAddress() == null ? "unknown" : socket.remoteAddress().hostAddress();
  }

  private void refuse(NetSocket socket, GatewayRefusal refusal) {
    relay.metrics().refused(refusal.gatewayStatus());
    LOG.debug("Raw gateway refused {}: {} {}", socket.remoteAddress(), refusal.status(), refusal.detail());
    socket.handler(null);
    socket.write("ERR " + refusal.status() + " " + oneLine(refusal.detail()) + "\n");
    socket.end();
  }

  private static String oneLine(String text) {
    return text.replace('\n', ' ').replace('\r', ' ');
  }

  /** One connection until it has a stream or is refused. */
  private final class Handshake extends PendingHandshake {
    private final NetSocket socket;
    private Buffer received = Buffer.buffer();

    Handshake(NetSocket socket, HandshakeSlots.Slot slot) {
      super(RawGatewayListener.this.vertx, RawGatewayListener.this.relay, slot);
      this.socket = socket;
    }

    @Override
    void onClientClose(Runnable handler) {
      socket.closeHandler(v -> handler.run());
    }

    @Override
    void listen() {
      socket.handler(this::data);
    }

    private void data(Buffer buffer) {
      received.appendBuffer(buffer);
      int newline = indexOfNewline(received);
      if (newline < 0) {
        if (received.length() >= MAX_LINE) {
          fail(new GatewayRefusal(GatewayStatus.BAD_REQUEST, "expected 'OUTPOST/1 <ticket>' and a newline"));
        }
        return;
      }
      socket.pause();
      socket.handler(null);
      String line = received.getString(0, newline, StandardCharsets.UTF_8.name());
      Buffer early = received.getBuffer(newline + 1, received.length());
      received = null;
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (!line.startsWith(PREFIX) || line.length() == PREFIX.length() || line.indexOf(' ', PREFIX.length()) >= 0) {
        fail(new GatewayRefusal(GatewayStatus.BAD_REQUEST, "expected 'OUTPOST/1 <ticket>' and a newline"));
        return;
      }
      open(new StreamOpener.Request(line.substring(PREFIX.length()), null, null), early);
    }

    @Override
    void accepted(String sessionId) {
      socket.write("OK " + sessionId + "\n");
    }

    @Override
    Splice.End clientSide() {
      return StreamEnds.of(socket);
    }

    @Override
    void refuse(GatewayRefusal refusal) {
      RawGatewayListener.this.refuse(socket, refusal);
      // a client that never reads must not keep the socket: give the error line a moment, then close
      vertx.setTimer(TimeUnit.SECONDS.toMillis(1), id -> socket.close());
    }
  }

  private static int indexOfNewline(Buffer buffer) {
    for (int i = 0; i < buffer.length(); i++) {
      if (buffer.getByte(i) == '\n') {
        return i;
      }
    }
    return -1;
  }
}
