package dev.outpost.relay;

import dev.outpost.cluster.ContextHop;
import dev.outpost.error.ServerErrorException;
import dev.outpost.http.OutboundProxy;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance's outbound tunnel to its hub. Keeps one WebSocket open, pings it, reconnects with jittered
 * exponential back-off, and carries requests both ways ({@link TunnelChannel}). {@link #reachable()} says
 * whether the hub answered recently.
 */
public final class HubLink extends VerticleBase implements HubChannel {

  private static final Logger LOG = LoggerFactory.getLogger(HubLink.class);
  private static final long MIN_BACKOFF_MS = 250;
  private static final long MAX_BACKOFF_MS = 10_000;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** Who this appliance is, as told to the hub. */
  public record Identity(String node, String location, String version, String credential) {
  }

  private final WebSocketClientOptions options;
  private final URI hub;
  private final Identity identity;
  private final Duration pingInterval;
  private final Function<String, Function<JsonObject, Future<JsonObject>>> applianceOperations;
  private final OutboundProxy proxy;

  private WebSocketClient client;
  private TunnelChannel channel;
  private Instant lastAnswer;
  private volatile long lastAnswerNanos = System.nanoTime();
  private String hubId;
  private long seq;
  private long backoffMs = MIN_BACKOFF_MS;
  private boolean stopped;
  private String lastError = "not connected yet";
  private volatile boolean up;
  private volatile String description = "not connected yet";

  /** A link that connects directly (no proxy). */
  public HubLink(WebSocketClientOptions options, URI hub, Identity identity, Duration pingInterval,
      Function<String, Function<JsonObject, Future<JsonObject>>> applianceOperations) {
    this(options, hub, identity, pingInterval, applianceOperations, OutboundProxy.direct());
  }

  /**
   * @param applianceOperations handlers for requests the hub sends down, by operation name
   * @param proxy the proxy {@code options} name, if any; to explain failures
   */
  public HubLink(WebSocketClientOptions options, URI hub, Identity identity, Duration pingInterval,
      Function<String, Function<JsonObject, Future<JsonObject>>> applianceOperations, OutboundProxy proxy) {
    this.options = Objects.requireNonNull(options);
    this.hub = Objects.requireNonNull(hub);
    this.identity = Objects.requireNonNull(identity);
    this.pingInterval = Objects.requireNonNull(pingInterval);
    this.applianceOperations = Objects.requireNonNull(applianceOperations);
    this.proxy = Objects.requireNonNull(proxy);
  }

  /** Starts connecting; completes once the first attempt succeeded or failed (the link keeps retrying). */
  @Override
  public Future<Void> start() {
    client = vertx.createWebSocketClient(options);
    vertx.setPeriodic(pingInterval.toMillis(), id -> ping());
    vertx.setPeriodic(Math.min(1_000, pingInterval.toMillis()), id -> refreshStatus());
    return connect().recover(e -> Future.succeededFuture());
  }

  @Override
  public Future<Void> stop() {
    stopped = true;
    Future<Void> closing = channel == null ? Future.succeededFuture()
        : channel.close().recover(e -> Future.succeededFuture());
    return closing.compose(v -> client.close());
  }

  /**
   * Sends a request to the hub from any thread; the answer completes on the caller's context. Fails with 503
   * when the hub is not connected.
   */
  @Override
  public Future<JsonObject> request(String op, JsonObject body) {
    return ContextHop.to(vertx, context, () -> {
      TunnelChannel current = channel;
      return current == null || !current.isOpen()
          ? Future.failedFuture(ServerErrorException.unavailable("the hub is not connected: " + lastError))
          : current.request(op, body);
    });
  }

  /** Whether the hub answered within the last three ping intervals. Safe from any thread. */
  @Override
  public boolean reachable() {
    return up;
  }

  /**
   * How long since the hub last answered (or since this link started, if it never did); a closed tunnel does not
   * reset it. Safe from any thread.
   */
  public Duration silence() {
    return Duration.ofNanos(System.nanoTime() - lastAnswerNanos);
  }

  /** A one-line description of the link's state, for admins. Safe from any thread. */
  @Override
  public String describe() {
    return description;
  }

  /**
   * Connects with {@code keyCert} and trusts {@code trust} from the next connection on (a renewed connector
   * certificate, the hub's CAs); the tunnel open now stays. Call from the link's context or any other.
   */
  public Future<Boolean> useCredentials(PemKeyCertOptions keyCert, PemTrustOptions trust) {
    return client.updateSSLOptions(options.getSslOptions().copy().setKeyCertOptions(keyCert).setTrustOptions(trust),
        true);
  }

  /** The Vert.x instance the link runs on, for callers that need a context. */
  public Vertx vertxInstance() {
    return vertx;
  }

  private void refreshStatus() {
    Instant last = lastAnswer;
    up = channel != null && channel.isOpen() && last != null
        && last.isAfter(Instant.now().minus(pingInterval.multipliedBy(3)));
    description = up
        ? "connected to hub " + hubId + " at " + hub.getHost() + ":" + port() + ", last answer " + last
        : "hub at " + hub.getHost() + ":" + port() + " not reachable: " + lastError;
  }

  private int port() {
    return hub.getPort() > 0 ? hub.getPort() : 443;
  }

  /**
   * Opens another WebSocket to the hub with this appliance's credentials (e.g. a gateway data channel), from the
   * caller's context.
   */
  public Future<WebSocket> dial(String path) {
    return client.connect(connectOptions(path));
  }

  private WebSocketConnectOptions connectOptions(String path) {
    WebSocketConnectOptions connect = new WebSocketConnectOptions()
        .setHost(hub.getHost())
        .setPort(port())
        .setSsl(true)
        .setURI(path)
        .setTimeout(5_000);
    if (!identity.credential().isEmpty()) {
      connect.addHeader("Authorization", "Bearer " + identity.credential());
    }
    return connect;
  }

  private Future<Void> connect() {
    if (stopped) {
      return Future.succeededFuture();
    }
    return client.connect(connectOptions(TunnelProtocol.PATH))
        .onSuccess(this::attach)
        .onFailure(this::connectFailed)
        .mapEmpty();
  }

  private void attach(WebSocket ws) {
    backoffMs = MIN_BACKOFF_MS;
    TunnelChannel opened = new TunnelChannel(vertx, ws, applianceOperations, this::onControl, REQUEST_TIMEOUT);
    channel = opened;
    opened.start(() -> {
      if (channel == opened && !stopped) {
        lastError = "tunnel closed (" + ws.closeStatusCode() + " " + ws.closeReason() + ")";
        LOG.warn("Hub tunnel closed: {}", lastError);
        refreshStatus();
        scheduleReconnect();
      }
    });
    opened.send(TunnelProtocol.message(TunnelProtocol.HELLO)
        .put("node", identity.node())
        .put("location", identity.location())
        .put("version", identity.version()));
  }

  private void onControl(JsonObject msg) {
    Object type = msg.getValue("type");
    if (TunnelProtocol.WELCOME.equals(type)) {
      hubId = String.valueOf(msg.getValue("hub"));
      lastAnswer = Instant.now();
      lastAnswerNanos = System.nanoTime();
      refreshStatus();
      LOG.info("Hub tunnel up: hub {} at {}:{}", hubId, hub.getHost(), port());
    } else if (TunnelProtocol.PONG.equals(type)) {
      lastAnswer = Instant.now();
      lastAnswerNanos = System.nanoTime();
    }
  }

  private void ping() {
    TunnelChannel current = channel;
    if (current != null && current.isOpen()) {
      current.send(TunnelProtocol.message(TunnelProtocol.PING).put("seq", ++seq));
    }
  }

  private void connectFailed(Throwable e) {
    String explained = proxy.explain(e, hub.getHost(), port()).orElse(null);
    String error = explained != null ? explained
        : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (explained != null && !explained.equals(lastError)) {
      // an operator has to fix this: say it once per new reason, not on every retry
      LOG.warn("Hub tunnel: {}", explained);
    }
    lastError = error;
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
