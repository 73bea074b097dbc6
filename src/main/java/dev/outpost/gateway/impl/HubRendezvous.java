package dev.outpost.gateway.impl;

import dev.outpost.crypto.SecureTokens;
import dev.outpost.error.OutpostException;
import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import dev.outpost.gateway.RendezvousProtocol;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's way to open a stream for an external client: it asks an appliance of the ticket's resource location,
 * over that appliance's outbound tunnel, to consume the ticket, connect to the session host, and dial a data
 * channel back here; the client's WebSocket is then spliced with that data channel. The resource location accepts
 * no inbound connection for this.
 */
public final class HubRendezvous implements StreamOpener {

  private static final Logger LOG = LoggerFactory.getLogger(HubRendezvous.class);
  private static final short CLOSE_UNKNOWN = 4404;

  /** Sends a request to any connected appliance of a resource location. */
  @FunctionalInterface
  public interface Appliances {
    Future<JsonObject> request(String location, String op, JsonObject body);
  }

  /** A client waiting for its data channel. */
  private record Waiting(String location, Promise<Opened> promise, Context context) {
  }

  private final Vertx vertx;
  private final Appliances appliances;
  private final Function<ServerWebSocket, Future<String>> applianceLocation;
  private final Duration timeout;
  private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

  /**
   * @param applianceLocation authenticates a data channel's appliance (as for its tunnel) and tells its location
   * @param timeout how long a client waits for the appliance's data channel
   */
  public HubRendezvous(Vertx vertx, Appliances appliances, Function<ServerWebSocket, Future<String>> applianceLocation,
      Duration timeout) {
    this.vertx = Objects.requireNonNull(vertx);
    this.appliances = Objects.requireNonNull(appliances);
    this.applianceLocation = Objects.requireNonNull(applianceLocation);
    this.timeout = Objects.requireNonNull(timeout);
  }

  @Override
  public Future<Opened> open(Request request) {
    String location = request.location();
    if (location == null || location.isBlank()) {
      return Future.failedFuture(new GatewayRefusal(GatewayStatus.BAD_REQUEST, "name the ticket's resource location:"
          + " wss://HUB/gateway?location=NAME (the launch's hub gateway address carries it)"));
    }
    Context context = vertx.getOrCreateContext();
    String rendezvous = SecureTokens.random(24);
    Promise<Opened> promise = Promise.promise();
    waiting.put(rendezvous, new Waiting(location, promise, context));
    long timer = vertx.setTimer(timeout.toMillis(), id -> give(rendezvous, new GatewayRefusal(GatewayStatus.BUSY,
        "no appliance of location '" + location + "' opened the stream within " + timeout.toMillis() + " ms")));
    appliances.request(location, RendezvousProtocol.OPEN, RendezvousProtocol.message()
            .put("ticket", request.ticket()).put("rendezvous", rendezvous))
        .onFailure(e -> give(rendezvous, refusal(location, e)));
    return promise.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  /** Gives up waiting for this rendezvous; the client hears why on its own context. */
  private void give(String rendezvous, GatewayRefusal refusal) {
    Waiting w = waiting.remove(rendezvous);
    if (w != null) {
      w.context().runOnContext(v -> w.promise().tryFail(refusal));
    }
  }

  /** What the appliance (or the tunnel) said, as the refusal the client gets. */
  private static GatewayRefusal refusal(String location, Throwable e) {
    if (e instanceof OutpostException problem) {
      GatewayStatus status = GatewayStatus.ofReason(problem.type());
      if (status != null) {
        return new GatewayRefusal(status, problem.detail());
      }
      if (problem.status() == 503) {
        return new GatewayRefusal(GatewayStatus.BUSY, "no appliance of location '" + location
            + "' is connected to the hub: " + problem.detail());
      }
    }
    return new GatewayRefusal(GatewayStatus.BUSY, "the appliance could not open the stream: " + e.getMessage(), e);
  }

  /** Handles a data channel an appliance dialled ({@link RendezvousProtocol#DATA_PATH}). */
  public void dataChannel(ServerWebSocket ws) {
    ws.pause();
    long timer = vertx.setTimer(timeout.toMillis(), id -> ws.close(CLOSE_UNKNOWN, "no rendezvous frame"));
    applianceLocation.apply(ws)
        .onFailure(e -> {
          vertx.cancelTimer(timer);
          LOG.warn("Refused a gateway data channel from {}: {}", ws.remoteAddress(), e.getMessage());
          ws.close((short) 4401, "credentials refused");
        })
        .onSuccess(location -> {
          ws.frameHandler(frame -> first(ws, frame, location, timer));
          ws.resume();
        });
  }

  private void first(ServerWebSocket ws, WebSocketFrame frame, String location, long timer) {
    if (!frame.isText()) {
      return;
    }
    vertx.cancelTimer(timer);
    ws.pause();
    ws.frameHandler(null);
    JsonObject hello;
    try {
      hello = new JsonObject(frame.textData());
    } catch (DecodeException e) {
      ws.close(CLOSE_UNKNOWN, "the first frame must be the rendezvous JSON");
      return;
    }
    String rendezvous = hello.getValue("rendezvous") instanceof String id ? id : "";
    String sessionId = hello.getValue("sessionId") instanceof String id ? id : null;
    Waiting w = waiting.get(rendezvous);
    if (w == null || !w.location().equals(location) || sessionId == null
        || RendezvousProtocol.refusal(hello).isPresent() || !waiting.remove(rendezvous, w)) {
      ws.close(CLOSE_UNKNOWN, "unknown rendezvous");
      return;
    }
    w.context().runOnContext(v -> {
      if (!w.promise().tryComplete(new Opened(sessionId, StreamEnds.of(ws)))) {
        ws.close();
      }
    });
  }
}
