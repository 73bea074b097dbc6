package dev.outpost.relay;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance's outbound tunnel to its hub. Keeps one WebSocket open, pings it, and reconnects with
 * jittered exponential back-off. {@link #reachable()} says whether the hub answered recently.
 */
public final class HubLink extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(HubLink.class);
  private static final long MIN_BACKOFF_MS = 250;
  private static final long MAX_BACKOFF_MS = 10_000;

  /** Who this appliance is, as told to the hub. */
  public record Identity(String node, String location, String version, String credential) {
  }

  private final WebSocketClientOptions options;
  private WebSocketClient client;
  private final URI hub;
  private final Identity identity;
  private final Duration pingInterval;

  private WebSocket socket;
  private Instant lastAnswer;
  private String hubId;
  private long seq;
  private long timer = -1;
  private long backoffMs = MIN_BACKOFF_MS;
  private boolean stopped;
  private String lastError = "not connected yet";

  private volatile boolean up;
  private volatile String description = "not connected yet";

  public HubLink(WebSocketClientOptions options, URI hub, Identity identity, Duration pingInterval) {
    this.options = Objects.requireNonNull(options);
    this.hub = Objects.requireNonNull(hub);
    this.identity = Objects.requireNonNull(identity);
    this.pingInterval = Objects.requireNonNull(pingInterval);
  }

  /** Starts connecting; completes once the first connection succeeded or failed (the link keeps retrying). */
  @Override
  public Future<Void> start() {
    client = vertx.createWebSocketClient(options);
    vertx.setPeriodic(1_000, id -> refreshStatus());
    timer = vertx.setPeriodic(pingInterval.toMillis(), id -> ping());
    return connect().recover(e -> Future.succeededFuture());
  }

  @Override
  public Future<Void> stop() {
    stopped = true;
    vertx.cancelTimer(timer);
    Future<Void> closing = socket == null ? Future.succeededFuture() : socket.close().recover(e -> Future.succeededFuture());
    return closing.compose(v -> client.close());
  }

  /** Whether the hub answered within the last three ping intervals. Safe from any thread. */
  public boolean reachable() {
    return up;
  }

  /** A one-line description of the link's state, for health checks. Safe from any thread. */
  public String describe() {
    return description;
  }

  private void refreshStatus() {
    Instant last = lastAnswer;
    up = socket != null && last != null && last.isAfter(Instant.now().minus(pingInterval.multipliedBy(3)));
    description = up
        ? "connected to hub " + hubId + " at " + hub.getHost() + ":" + port() + ", last answer " + last
        : "hub at " + hub.getHost() + ":" + port() + " not reachable: " + lastError;
  }

  private int port() {
    return hub.getPort() > 0 ? hub.getPort() : 443;
  }

  private Future<Void> connect() {
    if (stopped) {
      return Future.succeededFuture();
    }
    WebSocketConnectOptions options = new WebSocketConnectOptions()
        .setHost(hub.getHost())
        .setPort(port())
        .setSsl(true)
        .setURI(TunnelProtocol.PATH)
        .addHeader("Authorization", "Bearer " + identity.credential())
        .setTimeout(5_000);
    return client.connect(options)
        .onSuccess(this::attach)
        .onFailure(this::connectFailed)
        .mapEmpty();
  }

  private void attach(WebSocket ws) {
    socket = ws;
    backoffMs = MIN_BACKOFF_MS;
    ws.textMessageHandler(this::onMessage);
    ws.exceptionHandler(e -> lastError = e.getMessage());
    ws.closeHandler(v -> {
      if (socket == ws && !stopped) {
        socket = null;
        lastError = "tunnel closed (" + ws.closeStatusCode() + " " + ws.closeReason() + ")";
        LOG.warn("Hub tunnel closed: {}", lastError);
        scheduleReconnect();
      }
    });
    ws.writeTextMessage(TunnelProtocol.message(TunnelProtocol.HELLO)
        .put("node", identity.node())
        .put("location", identity.location())
        .put("version", identity.version())
        .encode());
  }

  private void onMessage(String text) {
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (RuntimeException e) {
      LOG.warn("Hub sent a frame that is not JSON; ignoring it");
      return;
    }
    String type = msg.getString("type", "");
    if (TunnelProtocol.WELCOME.equals(type)) {
      hubId = msg.getString("hub");
      lastAnswer = Instant.now();
      refreshStatus();
      LOG.info("Hub tunnel up: hub {} at {}:{}", hubId, hub.getHost(), port());
    } else if (TunnelProtocol.PONG.equals(type)) {
      lastAnswer = Instant.now();
    }
  }

  private void ping() {
    WebSocket ws = socket;
    if (ws != null && !ws.isClosed()) {
      ws.writeTextMessage(TunnelProtocol.message(TunnelProtocol.PING).put("seq", ++seq).encode());
    }
  }

  private void connectFailed(Throwable e) {
    lastError = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    LOG.debug("Hub tunnel connect failed: {}", lastError);
    scheduleReconnect();
  }

  private void scheduleReconnect() {
    if (stopped) {
      return;
    }
    long delay = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    vertx.setTimer(delay, id -> connect());
  }
}
