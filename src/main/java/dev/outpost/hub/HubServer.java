package dev.outpost.hub;

import dev.outpost.cluster.ContextHop;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.error.ServerErrorException;
import dev.outpost.http.ApiRouter;
import dev.outpost.http.HealthRoutes;
import dev.outpost.http.HttpListener;
import dev.outpost.relay.TunnelChannel;
import dev.outpost.relay.TunnelProtocol;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's HTTPS endpoint: health, and the tunnel that appliances dial out to. Runs as {@code outpost hub}
 * or inside an all-in-one appliance on a loopback port.
 */
public final class HubServer extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(HubServer.class);

  private final HttpListener listener;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  private final ConnectorAuthenticator connectors;
  private final HubOperations operations;
  private final HealthRoutes health;
  private final String hubId;
  private final Map<String, JsonObject> appliances = new ConcurrentHashMap<>();
  /** Connected tunnels by resource location, for requests to "any appliance of location X". */
  private final Map<String, Set<TunnelSession>> byLocation = new ConcurrentHashMap<>();
  private final Map<String, Consumer<Router>> apis;
  private Consumer<Router> extraRoutes = router -> { };
  private final int maxBodyBytes;
  private HttpServer server;

  public HubServer(HttpListener listener, ConnectorAuthenticator connectors, HubOperations operations,
      HealthRoutes health) {
    this(listener, connectors, operations, health, Map.of(), 64 * 1024);
  }

  /**
   * @param apis further APIs this hub serves by mount point (sign-in, admin API, connector enrollment)
   */
  public HubServer(HttpListener listener, ConnectorAuthenticator connectors, HubOperations operations,
      HealthRoutes health, Map<String, Consumer<Router>> apis, int maxBodyBytes) {
    this.apis = Map.copyOf(apis);
    this.maxBodyBytes = maxBodyBytes;
    this.listener = Objects.requireNonNull(listener);
    this.connectors = Objects.requireNonNull(connectors);
    this.operations = Objects.requireNonNull(operations);
    this.health = Objects.requireNonNull(health);
    this.hubId = SecureTokens.random(6);
  }

  /** Further routes on the root router (the rendezvous gateway); call before deploying. */
  public HubServer withRoutes(Consumer<Router> routes) {
    this.extraRoutes = Objects.requireNonNull(routes);
    return this;
  }

  @Override
  public Future<?> start() {
    Router router = ApiRouter.build(vertx, maxBodyBytes, root -> {
      health.mount(root);
      extraRoutes.accept(root);
      root.get(TunnelProtocol.PATH).handler(ctx -> ctx.request().toWebSocket()
          .onSuccess(this::tunnel)
          .onFailure(ctx::fail));
    }, apis);
    return listener.listen(vertx, router)
        .onSuccess(s -> {
          server = s;
          LOG.info("Hub listening on https://{}:{}", listener.options().getHost(), s.actualPort());
        });
  }

  /** The port actually bound (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  /** Appliance nodes connected right now, by node id. */
  public Map<String, JsonObject> appliances() {
    return Map.copyOf(appliances);
  }

  /**
   * Sends a request to one connected appliance of this resource location (a random one, so that streams and
   * requests spread over the nodes); fails with 503 when none is connected.
   */
  public Future<JsonObject> requestLocation(String location, String op, JsonObject body) {
    List<TunnelSession> sessions = List.copyOf(byLocation.getOrDefault(location, Set.of()));
    if (sessions.isEmpty()) {
      return Future.failedFuture(ServerErrorException.unavailable("no appliance of location '" + location
          + "' is connected"));
    }
    return sessions.get(ThreadLocalRandom.current().nextInt(sessions.size())).request(op, body);
  }

  /**
   * Sends a request to every connected appliance node, of every location, at once: for what must reach them
   * before their next sync (a revoked account). Completes when each answered or failed, with how many answered;
   * never fails — a node that missed it learns it at its next sync.
   */
  public Future<Integer> requestAll(String op, JsonObject body) {
    List<TunnelSession> sessions = byLocation.values().stream().flatMap(Set::stream).toList();
    List<Future<JsonObject>> sent = sessions.stream().map(session -> ContextHop.to(vertx, session.context,
        () -> session.request(op, body.copy()))).toList();
    return Future.join(sent).transform(ar -> {
      long answered = sent.stream().filter(Future::succeeded).count();
      sent.stream().filter(Future::failed).forEach(f -> LOG.warn("An appliance did not take {} ({}); it learns it "
          + "at its next sync", op, f.cause().getMessage()));
      return Future.succeededFuture((int) answered);
    });
  }

  /** The resource location an appliance's WebSocket speaks for (bearer credential or client certificate). */
  public Future<String> authenticateAppliance(ServerWebSocket ws) {
    String header = ws.headers().get("Authorization");
    String credential = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? header.substring(7).trim() : "";
    List<Certificate> peer;
    try {
      peer = ws.isSsl() && ws.sslSession() != null ? List.of(ws.sslSession().getPeerCertificates()) : List.of();
    } catch (SSLPeerUnverifiedException e) {
      peer = List.of();
    }
    return connectors.authenticate(credential, peer);
  }

  private void tunnel(ServerWebSocket ws) {
    ws.pause();
    authenticateAppliance(ws)
        .onSuccess(location -> {
          new TunnelSession(ws, location, peerCertificate(ws)).start();
          ws.resume();
        })
        .onFailure(e -> {
          LOG.warn("Refused an appliance tunnel from {}: {}", ws.remoteAddress(), e.getMessage());
          ws.close(TunnelProtocol.CLOSE_UNAUTHORIZED, "credentials refused");
        });
  }

  private static Optional<X509Certificate> peerCertificate(ServerWebSocket ws) {
    try {
      return ws.isSsl() && ws.sslSession() != null && ws.sslSession().getPeerCertificates().length > 0
          && ws.sslSession().getPeerCertificates()[0] instanceof X509Certificate leaf
          ? Optional.of(leaf) : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  /** The HTTPS server, for its TLS settings to follow a renewed certificate. */
  public HttpServer server() {
    return server;
  }

  /** One appliance's tunnel. */
  private final class TunnelSession implements HubOperations.ApplianceChannel {
    private final ServerWebSocket ws;
    private final String location;
    private final Optional<X509Certificate> certificate;
    /** The context that owns the WebSocket, where the channel is used. */
    private final io.vertx.core.Context context = vertx.getOrCreateContext();
    private TunnelChannel channel;
    private String node;
    /** What {@link #appliances} holds for this tunnel, removed with it only if no newer tunnel replaced it. */
    private JsonObject entry;
    private HubOperations.Caller caller;

    TunnelSession(ServerWebSocket ws, String location,
        Optional<X509Certificate> certificate) {
      this.ws = ws;
      this.location = location;
      this.certificate = certificate;
    }

    @Override
    public Optional<X509Certificate> certificate() {
      return certificate;
    }

    void start() {
      channel = new TunnelChannel(vertx, ws, this::operation, this::onControl, REQUEST_TIMEOUT).start(() -> {
        if (node != null) {
          // a node that restarted keeps its id: its new tunnel may have said hello before this one closed
          appliances.remove(node, entry);
          byLocation.computeIfPresent(location, (l, set) -> {
            set.remove(this);
            return set.isEmpty() ? null : set;
          });
          LOG.info("Appliance {} of location {} disconnected", node, location);
        }
      });
    }

    /** Requests are served only after hello, scoped to the caller it named. */
    private Function<JsonObject, Future<JsonObject>> operation(String op) {
      return caller == null ? null : operations.operation(caller, op);
    }

    @Override
    public Future<JsonObject> request(String op, JsonObject body) {
      return channel.request(op, body);
    }

    private void onControl(JsonObject msg) {
      Object type = msg.getValue("type");
      if (TunnelProtocol.HELLO.equals(type)) {
        hello(msg);
      } else if (TunnelProtocol.PING.equals(type)) {
        channel.send(TunnelProtocol.message(TunnelProtocol.PONG).put("seq", msg.getValue("seq"))
            .put("time", Instant.now().toString()));
      } else {
        LOG.debug("Ignoring tunnel message of type {}", type);
      }
    }

    private void hello(JsonObject msg) {
      if (node != null) {
        return;
      }
      node = msg.getValue("node") instanceof String name ? name : "unknown";
      caller = new HubOperations.Caller(location, node, this);
      entry = new JsonObject().put("node", node).put("location", location)
          .put("version", msg.getValue("version")).put("since", Instant.now().toString());
      appliances.put(node, entry);
      byLocation.computeIfAbsent(location, l -> ConcurrentHashMap.newKeySet()).add(this);
      LOG.info("Appliance {} of location {} connected", node, location);
      channel.send(TunnelProtocol.message(TunnelProtocol.WELCOME).put("hub", hubId)
          .put("time", Instant.now().toString()));
    }
  }
}
