package dev.outpost.gateway.impl;

import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.Objects;

/**
 * One client connection from accept until it carries a stream or is refused, whatever the transport: it holds
 * a handshake slot, gives up after the handshake timeout, and hands a valid ticket to the relay. Subclasses
 * read the ticket and speak their transport's answer and refusal. Used on the connection's context only.
 */
abstract class PendingHandshake {

  protected final Vertx vertx;
  protected final SessionRelay relay;
  private final HandshakeSlots.Slot slot;
  private long timer;
  private boolean done;

  PendingHandshake(Vertx vertx, SessionRelay relay, HandshakeSlots.Slot slot) {
    this.vertx = Objects.requireNonNull(vertx);
    this.relay = Objects.requireNonNull(relay);
    this.slot = Objects.requireNonNull(slot);
  }

  /** Starts the timeout, frees the slot if the client leaves, and starts reading. */
  final void begin() {
    long timeoutMs = relay.config().handshakeTimeout().toMillis();
    timer = vertx.setTimer(timeoutMs, id -> fail(new GatewayRefusal(GatewayStatus.HANDSHAKE_TIMEOUT,
        "no ticket within " + timeoutMs + " ms")));
    onClientClose(() -> {
      if (!done) {
        finish();
      }
    });
    listen();
  }

  final boolean done() {
    return done;
  }

  /** Opens the ticket's stream; {@code early} bytes go to the far end first. */
  final void open(StreamOpener.Request request, Buffer early) {
    open(request, early, relay.opener());
  }

  /** Opens the ticket's stream with another opener than the relay's (the browser terminal speaks SSH). */
  final void open(StreamOpener.Request request, Buffer early, StreamOpener opener) {
    opener.open(request).onComplete(ar -> {
      if (ar.failed()) {
        fail(ar.cause() instanceof GatewayRefusal refusal ? refusal
            : new GatewayRefusal(GatewayStatus.BUSY, "the gateway could not open the stream", ar.cause()));
      } else if (done || clientGone()) {
        ar.result().far().end(false); // the client left or timed out meanwhile
      } else {
        finish();
        accepted(ar.result().sessionId());
        relay.splice(ar.result(), clientSide(), early);
      }
    });
  }

  /**
   * Ends the handshake without a stream of its own (a browser terminal that resumes an existing one); false when
   * it had already ended (timed out, refused, or the client left).
   */
  final boolean settle() {
    if (done) {
      return false;
    }
    finish();
    return true;
  }

  /** Refuses once, whatever stage the handshake is in. */
  final void fail(GatewayRefusal refusal) {
    if (done) {
      return;
    }
    finish();
    refuse(refusal);
  }

  private void finish() {
    done = true;
    vertx.cancelTimer(timer);
    slot.release();
  }

  /** Registers {@code handler} to run when the client's connection closes. */
  abstract void onClientClose(Runnable handler);

  /** Starts reading the client's ticket. */
  abstract void listen();

  /** Whether the client's connection is already gone. */
  boolean clientGone() {
    return false;
  }

  /** Tells the client the stream is open. */
  abstract void accepted(String sessionId);

  /** Tells the client why not, and closes. */
  abstract void refuse(GatewayRefusal refusal);

  /** The client's end of the stream for the relay. */
  abstract Splice.End clientSide();
}
