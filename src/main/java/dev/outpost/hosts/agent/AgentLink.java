package dev.outpost.hosts.agent;

import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.hosts.AgentLinkProtocol.Command;
import dev.outpost.hosts.AgentLinkProtocol.LinkStatus;
import dev.outpost.http.OutboundProxy;
import dev.outpost.http.Tls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one link to an appliance: connects with its client certificate (trusting only the stored site
 * CAs), registers, heartbeats with its load and the state of the ports the appliance asked about, answers
 * commands, renews its certificate before it expires ({@link CertificateRenewal}), and reconnects with jittered
 * exponential back-off, trying the next appliance of the list each time.
 */
public final class AgentLink extends VerticleBase implements CertificateRenewal.Link {

  private static final Logger LOG = LoggerFactory.getLogger(AgentLink.class);
  private static final long MIN_BACKOFF_MS = 250;
  private static final long MAX_BACKOFF_MS = 30_000;
  private static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);
  private static final int PROBE_TIMEOUT_MS = 1_000;

  /**
   * @param heartbeatCap report at least this often (null: as the appliance asks)
   * @param simulated report every port as up and a made-up load, without probing (load generation)
   * @param proxy how the link reaches the appliances
   */
  public record Settings(Duration heartbeatCap, boolean simulated, String version, OutboundProxy proxy) {
  }

  private final Settings settings;
  private final CertificateRenewal.Storage storage;
  private final Consumer<String> console;
  private final Promise<String> refused;
  private final Consumer<List<String>> learned;

  /** The appliances to try, in order; replaced when an appliance tells of the site's others. */
  private List<URI> appliances;

  /** The host's identity; its credentials and CAs change when the certificate is renewed. */
  private AgentIdentity identity;
  private WebSocketClientOptions options;
  private CertificateRenewal renewal;
  private WebSocketClient client;
  private NetClient probes;
  private WebSocket ws;
  private int next;
  private long backoffMs = MIN_BACKOFF_MS;
  private boolean stopped;
  private boolean linked;
  private long heartbeatTimer = -1;
  private Duration interval = DEFAULT_INTERVAL;
  private long lastHeard;
  private List<Integer> ports = List.of();
  private Map<Integer, Boolean> services = Map.of();
  private boolean draining;
  private final Set<String> sessions = new LinkedHashSet<>();
  private final Set<String> disconnected = new LinkedHashSet<>();

  /**
   * @param console where one-line status for the person running the agent goes
   * @param refused completed with a reason when an appliance refuses this host for good (revoked, unknown)
   * @param learned called (on the link's context) with the new list when the appliances told of a change, to keep it
   * @param storage where renewed credentials and the site's CAs are kept
   */
  public AgentLink(AgentIdentity identity, List<URI> appliances, Settings settings, Consumer<String> console,
      Promise<String> refused, Consumer<List<String>> learned, CertificateRenewal.Storage storage) {
    this.identity = Objects.requireNonNull(identity);
    this.storage = Objects.requireNonNull(storage);
    this.appliances = List.copyOf(appliances);
    this.settings = Objects.requireNonNull(settings);
    this.console = Objects.requireNonNull(console);
    this.refused = Objects.requireNonNull(refused);
    this.learned = Objects.requireNonNull(learned);
    if (this.appliances.isEmpty()) {
      throw new IllegalArgumentException("no appliance to link to");
    }
  }

  @Override
  public Future<?> start() {
    options = Tls.restrict(new WebSocketClientOptions())
        .setSsl(true)
        .setVerifyHost(true)
        .setConnectTimeout(5_000)
        .setMaxFrameSize(AgentLinkProtocol.MAX_MESSAGE_BYTES)
        .setMaxMessageSize(AgentLinkProtocol.MAX_MESSAGE_BYTES);
    credentials(options.getSslOptions(), identity);
    client = vertx.createWebSocketClient(options);
    probes = vertx.createNetClient(new NetClientOptions().setConnectTimeout(PROBE_TIMEOUT_MS));
    renewal = new CertificateRenewal(vertx, this, storage, console);
    connect();
    return Future.succeededFuture();
  }

  /** The identity's key, certificate and CAs in {@code ssl}. */
  private static ClientSSLOptions credentials(ClientSSLOptions ssl, AgentIdentity identity) {
    return ssl.setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(identity.caPem())))
        .setKeyCertOptions(new PemKeyCertOptions().setCertValue(Buffer.buffer(identity.certificatePem()))
            .setKeyValue(Buffer.buffer(identity.keyPem())));
  }

  @Override
  public AgentIdentity identity() {
    return identity;
  }

  /** Links with {@code renewed}'s credentials from the next connection on; the current link stays. */
  @Override
  public void adopt(AgentIdentity renewed) {
    identity = renewed;
    client.updateSSLOptions(credentials(options.getSslOptions().copy(), renewed), true)
        .onFailure(e -> LOG.warn("Cannot use the renewed credentials for the next link: {}", e.getMessage()));
  }

  @Override
  public boolean send(JsonObject message) {
    WebSocket current = ws;
    if (current == null || current.isClosed() || !linked) {
      return false;
    }
    current.writeTextMessage(message.encode());
    return true;
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    if (renewal != null) {
      renewal.stop();
    }
    Future<Void> closing = ws == null || ws.isClosed() ? Future.succeededFuture()
        : ws.close(LinkStatus.GOING_AWAY.closeCode(), "agent stopping").recover(e -> Future.succeededFuture());
    return closing.compose(v -> client.close()).compose(v -> probes.close());
  }

  private void connect() {
    if (stopped) {
      return;
    }
    URI appliance = appliances.get(next);
    WebSocketConnectOptions connect = new WebSocketConnectOptions()
        .setHost(appliance.getHost())
        .setPort(port(appliance))
        .setSsl(true)
        .setURI(AgentLinkProtocol.MOUNT + AgentLinkProtocol.LINK_PATH)
        .addHeader(AgentLinkProtocol.HOST_ID_HEADER, identity.hostId())
        .setTimeout(10_000);
    settings.proxy().forTarget(appliance.getHost()).ifPresent(connect::setProxyOptions);
    client.connect(connect)
        .onSuccess(opened -> attach(opened, appliance))
        .onFailure(e -> connectFailed(appliance, e));
  }

  private static int port(URI appliance) {
    return appliance.getPort() > 0 ? appliance.getPort() : 443;
  }

  private void attach(WebSocket opened, URI appliance) {
    ws = opened;
    lastHeard = System.nanoTime();
    opened.textMessageHandler(text -> onMessage(opened, appliance, text));
    opened.pongHandler(b -> lastHeard = System.nanoTime());
    opened.exceptionHandler(e -> LOG.debug("Link to {} failed: {}", appliance, e.toString()));
    opened.closeHandler(v -> onClosed(opened, appliance));
    write(registerMessage());
  }

  private void connectFailed(URI appliance, Throwable e) {
    String reason = settings.proxy().explain(e, appliance.getHost(), port(appliance))
        .orElseGet(() -> Enroller.rootMessage(e));
    if (e instanceof io.vertx.core.http.UpgradeRejectedException rejected
        && (rejected.getStatus() == 401 || rejected.getStatus() == 403)) {
      refused.tryComplete("the appliance at " + appliance + " refused host " + identity.hostId() + " ("
          + rejected.getStatus() + "): it was revoked or removed; enroll again with a new token");
      return;
    }
    LOG.warn("Cannot link to {}: {}", appliance, reason);
    retry();
  }

  private void onMessage(WebSocket from, URI appliance, String text) {
    lastHeard = System.nanoTime();
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (RuntimeException e) {
      from.close(LinkStatus.INVALID_PAYLOAD.closeCode(), "malformed message");
      return;
    }
    java.util.Optional<String> refused = AgentLinkProtocol.refusal(msg);
    if (refused.isPresent()) {
      LOG.error("The appliance at {} speaks another major version of the agent link: {}", appliance, refused.get());
      from.close(LinkStatus.PROTOCOL_ERROR.closeCode(), AgentLinkProtocol.closeReason(refused.get()));
      return;
    }
    Object type = msg.getValue("type");
    if (AgentLinkProtocol.REGISTERED.equals(type)) {
      registered(msg, appliance);
      learnAppliances(msg, appliance);
      renewal.registered(msg);
    } else if (AgentLinkProtocol.APPLIANCES.equals(type)) {
      learnAppliances(msg, appliance);
    } else if (AgentLinkProtocol.TRUST.equals(type)) {
      renewal.trust(msg);
    } else if (AgentLinkProtocol.RENEWED.equals(type) || AgentLinkProtocol.RENEW_REFUSED.equals(type)) {
      renewal.answered(msg);
    } else if (AgentLinkProtocol.COMMAND.equals(type)) {
      command(msg);
    } else {
      LOG.debug("Ignoring a message of type {} from {}", type, appliance);
    }
  }

  private void registered(JsonObject msg, URI appliance) {
    List<Integer> asked = new ArrayList<>();
    for (Object port : msg.getJsonArray("ports", new JsonArray())) {
      if (port instanceof Integer p && p > 0 && p < 65_536) {
        asked.add(p);
      }
    }
    ports = List.copyOf(asked);
    Duration requested = Duration.ofSeconds(Math.max(1, msg.getInteger("heartbeatSeconds", 10)));
    interval = settings.heartbeatCap() != null && settings.heartbeatCap().compareTo(requested) < 0
        ? settings.heartbeatCap() : requested;
    backoffMs = MIN_BACKOFF_MS;
    if (!linked) {
      linked = true;
      console.accept("Linked to " + appliance + " as host " + identity.hostId() + " (" + identity.name()
          + "); heartbeat every " + interval.toSeconds() + " s, watching ports " + ports);
    }
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
    }
    heartbeatTimer = vertx.setPeriodic(interval.toMillis(), id -> heartbeat());
    probe();
  }

  /**
   * Keeps the site's appliances as the linked one lists them, in the order it gives (its own per host, so that
   * agents spread over the nodes); on link loss the agent tries the one after the current, round the list.
   */
  private void learnAppliances(JsonObject msg, URI appliance) {
    ApplianceList.learn(msg.getValue(AgentLinkProtocol.APPLIANCES), appliances, appliance).ifPresent(list -> {
      appliances = list;
      next = ApplianceList.indexOf(list, appliance);
      console.accept("Appliances of the site: " + list + " (this host fails over in this order)");
      learned.accept(list.stream().map(URI::toString).toList());
    });
  }

  private void heartbeat() {
    WebSocket current = ws;
    if (current == null || current.isClosed()) {
      return;
    }
    if (System.nanoTime() - lastHeard > interval.multipliedBy(3).toNanos()) {
      LOG.warn("The appliance has been silent for {} s; reconnecting", interval.multipliedBy(3).toSeconds());
      current.close(LinkStatus.SILENT.closeCode(), "appliance silent");
      return;
    }
    current.writePing(Buffer.buffer("hb"));
    probe().onComplete(ar -> write(AgentLinkProtocol.message(AgentLinkProtocol.HEARTBEAT).put("load", load())
        .put("services", servicesJson()).put("sessions", new JsonArray(List.copyOf(sessions)))
        .put("draining", draining)));
  }

  /** Refreshes {@link #services}: a TCP connect to each asked port on the host's address. */
  private Future<Void> probe() {
    if (settings.simulated() || ports.isEmpty()) {
      Map<Integer, Boolean> up = new TreeMap<>();
      ports.forEach(port -> up.put(port, settings.simulated()));
      services = up;
      return Future.succeededFuture();
    }
    List<Future<Boolean>> checks = new ArrayList<>();
    for (int port : ports) {
      checks.add(probes.connect(port, identity.address())
          .compose(socket -> socket.close().map(true))
          .otherwise(false));
    }
    return Future.join(checks).otherwiseEmpty().map(all -> {
      Map<Integer, Boolean> up = new TreeMap<>();
      for (int i = 0; i < ports.size(); i++) {
        up.put(ports.get(i), Boolean.TRUE.equals(checks.get(i).result()));
      }
      services = up;
      return null;
    });
  }

  private void command(JsonObject msg) {
    Object id = msg.getValue("id");
    Command command = Command.parse(msg.getValue("command")).orElse(null);
    String sessionId = msg.getValue("sessionId") instanceof String s ? s : null;
    boolean ok = true;
    String detail;
    if (command == null) {
      ok = false;
      detail = "unknown command " + msg.getValue("command");
    } else if (command.needsSession() && sessionId == null) {
      ok = false;
      detail = command.wireName() + " needs a sessionId";
    } else {
      detail = switch (command) {
        case DRAIN -> {
          draining = true;
          yield "draining: no new sessions";
        }
        case UNDRAIN -> {
          draining = false;
          yield "taking new sessions";
        }
        case LOGOFF -> {
          sessions.remove(sessionId);
          disconnected.remove(sessionId);
          yield "logoff of session " + sessionId + " recorded";
        }
        case DISCONNECT -> {
          disconnected.add(sessionId);
          yield "disconnect of session " + sessionId + " recorded";
        }
      };
    }
    LOG.info("Command {} {}: {}", msg.getValue("command"), sessionId == null ? "" : sessionId, detail);
    write(AgentLinkProtocol.message(AgentLinkProtocol.COMMAND_RESULT).put("id", id).put("ok", ok)
        .put("detail", detail));
  }

  private void onClosed(WebSocket closed, URI appliance) {
    if (closed != ws) {
      return;
    }
    ws = null;
    renewal.unlinked();
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
      heartbeatTimer = -1;
    }
    if (stopped) {
      return;
    }
    Short code = closed.closeStatusCode();
    String reason = (code == null ? "connection lost" : code + (closed.closeReason() == null ? ""
        : " " + closed.closeReason()));
    LinkStatus status = LinkStatus.ofCloseCode(code).orElse(null);
    if (status == LinkStatus.UNAUTHORIZED || status == LinkStatus.FORBIDDEN) {
      refused.tryComplete("the appliance at " + appliance + " refused host " + identity.hostId() + ": " + reason);
      return;
    }
    if (status == LinkStatus.RELINK) {
      relink(appliance, reason);
      return;
    }
    if (linked) {
      console.accept("Link to " + appliance + " closed (" + reason + "); reconnecting");
      linked = false;
    }
    retry();
  }

  /** The appliance is draining: the next one of the list at once, without back-off. */
  private void relink(URI draining, String reason) {
    next = (next + 1) % appliances.size();
    backoffMs = MIN_BACKOFF_MS;
    linked = false;
    console.accept("Appliance " + draining + " hands this host off (" + reason + "); linking to "
        + appliances.get(next));
    connect();
  }

  private void retry() {
    if (stopped) {
      return;
    }
    next = (next + 1) % appliances.size();
    long delay = backoffMs / 2 + ThreadLocalRandom.current().nextLong(backoffMs / 2 + 1);
    backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
    vertx.setTimer(delay, id -> connect());
  }

  private JsonObject registerMessage() {
    return AgentLinkProtocol.message(AgentLinkProtocol.REGISTER).put("hostId", identity.hostId())
        .put("name", identity.name()).put("address", identity.address()).put("load", load())
        .put("services", servicesJson()).put("sessions", new JsonArray(List.copyOf(sessions)))
        .put("version", settings.version()).put("draining", draining);
  }

  private JsonObject servicesJson() {
    JsonObject json = new JsonObject();
    services.forEach((port, up) -> json.put(Integer.toString(port), up));
    return json;
  }

  private double load() {
    if (settings.simulated()) {
      return Math.round(ThreadLocalRandom.current().nextDouble() * 100) / 100.0;
    }
    // the 1-minute load average (what /proc/loadavg holds on Linux); -1 where the platform has none
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load < 0 ? 0.0 : load;
  }

  /** Sends on the link whether or not it is registered yet (register itself, heartbeats, command results). */
  private void write(JsonObject message) {
    WebSocket current = ws;
    if (current != null && !current.isClosed()) {
      current.writeTextMessage(message.encode());
    }
  }
}
