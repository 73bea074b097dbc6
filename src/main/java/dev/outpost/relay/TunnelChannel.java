package dev.outpost.relay;

import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import dev.outpost.error.ServerErrorException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketBase;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request/response over one tunnel WebSocket, in both directions. A request is
 * {@code {"v":1,"type":"req","id":N,"op":"...","body":{...}}}; its answer is
 * {@code {"v":1,"type":"res","id":N,"status":200,"body":{...}}} or, for a failure,
 * {@code {"status":4xx|5xx,"problem":"type","detail":"..."}}, which the caller receives as the matching
 * {@link OutpostException}. Other message types go to the control handler. Not thread-safe: use it from the
 * context that owns the WebSocket.
 */
public final class TunnelChannel {

  private static final Logger LOG = LoggerFactory.getLogger(TunnelChannel.class);
  /** Requests waiting for an answer; beyond this the peer is too slow and new requests fail fast. */
  static final int MAX_PENDING = 20_000;

  private final Vertx vertx;
  private final WebSocketBase ws;
  private final Function<String, Function<JsonObject, Future<JsonObject>>> operations;
  private final Consumer<JsonObject> control;
  private final Duration timeout;
  private final Map<Long, Promise<JsonObject>> pending = new HashMap<>();
  private long nextId;
  private boolean closed;

  /**
   * @param operations finds the handler of an incoming request by operation name ({@code null}: unknown)
   * @param control receives every message that is not a request or response
   */
  public TunnelChannel(Vertx vertx, WebSocketBase ws,
      Function<String, Function<JsonObject, Future<JsonObject>>> operations, Consumer<JsonObject> control,
      Duration timeout) {
    this.vertx = Objects.requireNonNull(vertx);
    this.ws = Objects.requireNonNull(ws);
    this.operations = Objects.requireNonNull(operations);
    this.control = Objects.requireNonNull(control);
    this.timeout = Objects.requireNonNull(timeout);
  }

  /** Takes over the WebSocket's message handlers; {@code onClose} runs once when it closes. */
  public TunnelChannel start(Runnable onClose) {
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> ws.close(TunnelProtocol.CLOSE_PROTOCOL, "binary frames are not part of tunnel v1"));
    ws.closeHandler(v -> {
      closed = true;
      failPending(ServerErrorException.unavailable("the tunnel closed before the answer arrived"));
      onClose.run();
    });
    return this;
  }

  /** Sends a request and completes with the answer body, or fails with the peer's problem or a timeout. */
  public Future<JsonObject> request(String op, JsonObject body) {
    if (closed || ws.isClosed()) {
      return Future.failedFuture(ServerErrorException.unavailable("the tunnel is not connected"));
    }
    if (pending.size() >= MAX_PENDING) {
      return Future.failedFuture(ServerErrorException.unavailable("too many requests in flight on the tunnel"));
    }
    long id = ++nextId;
    Promise<JsonObject> promise = Promise.promise();
    pending.put(id, promise);
    long timer = vertx.setTimer(timeout.toMillis(), t -> {
      Promise<JsonObject> p = pending.remove(id);
      if (p != null) {
        p.fail(ServerErrorException.unavailable("no answer to " + op + " within " + timeout.toMillis() + " ms"));
      }
    });
    ws.writeTextMessage(TunnelProtocol.message(TunnelProtocol.REQUEST).put("id", id).put("op", op).put("body", body)
        .encode());
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /** Sends a control message (hello, ping, ...). */
  public void send(JsonObject message) {
    if (!closed && !ws.isClosed()) {
      ws.writeTextMessage(message.encode());
    }
  }

  public boolean isOpen() {
    return !closed && !ws.isClosed();
  }

  public Future<Void> close() {
    return ws.close();
  }

  private void onText(String text) {
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (RuntimeException e) {
      ws.close(TunnelProtocol.CLOSE_PROTOCOL, "frame is not a JSON object");
      return;
    }
    java.util.Optional<String> refused = TunnelProtocol.refusal(msg);
    if (refused.isPresent()) {
      LOG.error("Closing the hub tunnel: {}", refused.get());
      ws.close(TunnelProtocol.CLOSE_PROTOCOL, refused.get().length() > 120 ? refused.get().substring(0, 120)
          : refused.get());
      return;
    }
    Object type = msg.getValue("type");
    if (TunnelProtocol.REQUEST.equals(type)) {
      onRequest(msg);
    } else if (TunnelProtocol.RESPONSE.equals(type)) {
      onResponse(msg);
    } else {
      control.accept(msg);
    }
  }

  private void onRequest(JsonObject msg) {
    Object id = msg.getValue("id");
    Object op = msg.getValue("op");
    Object body = msg.getValue("body");
    if (!(id instanceof Number) || !(op instanceof String name) || !(body instanceof JsonObject json)) {
      ws.close(TunnelProtocol.CLOSE_PROTOCOL, "request needs a numeric id, an op and a body object");
      return;
    }
    var operation = operations.apply(name);
    Future<JsonObject> answer;
    if (operation == null) {
      answer = Future.failedFuture(ClientErrorException.notFound("unknown tunnel operation " + name));
    } else {
      try {
        answer = operation.apply(json);
      } catch (RuntimeException e) {
        answer = Future.failedFuture(e);
      }
    }
    answer.onComplete(ar -> {
      JsonObject response = TunnelProtocol.message(TunnelProtocol.RESPONSE).put("id", id);
      if (ar.succeeded()) {
        response.put("status", 200).put("body", ar.result() == null ? new JsonObject() : ar.result());
      } else if (ar.cause() instanceof OutpostException e) {
        response.put("status", e.status()).put("problem", e.type()).put("detail", e.detail());
      } else {
        LOG.error("Tunnel operation {} failed", name, ar.cause());
        response.put("status", 500).put("problem", "internal").put("detail", "the peer could not complete " + name);
      }
      send(response);
    });
  }

  private void onResponse(JsonObject msg) {
    if (!(msg.getValue("id") instanceof Number number)) {
      ws.close(TunnelProtocol.CLOSE_PROTOCOL, "response without a numeric id");
      return;
    }
    Promise<JsonObject> promise = pending.remove(number.longValue());
    if (promise == null) {
      return; // answered after its timeout
    }
    int status = msg.getInteger("status", 500);
    if (status == 200) {
      promise.complete(msg.getJsonObject("body", new JsonObject()));
      return;
    }
    String type = String.valueOf(msg.getValue("problem", "upstream"));
    String detail = String.valueOf(msg.getValue("detail", "the peer refused the request"));
    promise.fail(OutpostException.fromProblem(status, type, detail));
  }

  private void failPending(OutpostException e) {
    var waiting = new java.util.ArrayList<>(pending.values());
    pending.clear();
    waiting.forEach(p -> p.tryFail(e));
  }
}
