package dev.outpost.hosts.impl;

import static dev.outpost.hosts.AgentLinkProtocol.closeReason;

import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.hosts.AgentDirectory.LinkedAgent;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.hosts.AgentLinkProtocol.Command;
import dev.outpost.hosts.AgentLinkProtocol.LinkStatus;
import dev.outpost.hosts.HostEvents;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.error.OutpostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent's link, from the authenticated upgrade to its close. All state lives on the connection's context;
 * the only entry points from other threads are {@link #view}, {@link #replaced} and {@link #command}, which hop
 * onto that context.
 */
public final class LinkSession {

  private static final Logger LOG = LoggerFactory.getLogger(LinkSession.class);
  /** A link is declared lost after this many heartbeat intervals without a message. */
  static final int SILENT_INTERVALS = 3;
  /** Certificates of the host a link remembers for renewals. */
  private static final int MAX_HELD = 3;

  /** The enrolled host the client certificate belongs to. */
  public record EnrolledHost(String id, String name, String poolId, String address) {
  }

  /** Timeouts of the link. */
  public record Timeouts(Duration register, Duration command) {
  }

  private record Pending(Promise<JsonObject> promise, long timer) {
  }

  private final Vertx vertx;
  private final ServerWebSocket ws;
  private final EnrolledHost host;
  private final HostEvents events;
  private final String appliance;
  private final AgentLinks registry;
  private final Timeouts timeouts;
  private final Clock clock;
  private final String remote;
  private final Instant since;
  private final Map<String, Pending> pending = new HashMap<>();
  /** The site's appliances in the order this host should try them; empty when not known. */
  private final Supplier<List<String>> appliances;
  private final AgentCertificates certificates;
  /**
   * The certificates the agent may hold, by fingerprint: the one it linked with and those this link gave it. A
   * renewal speaks for one of them (the one the agent says it holds), so that the one it stored stays accepted.
   */
  private final Map<String, X509Certificate> held = new LinkedHashMap<>();

  private volatile Context context;
  private volatile String address;
  private volatile String version;
  private volatile Instant lastHeartbeat;
  /** The newest certificate the agent holds: the one it linked with, or the last this link gave it. */
  private volatile X509Certificate certificate;

  private HostRegistration registration;
  private boolean linked;
  private boolean replaced;
  private boolean handedOff;
  private boolean closing;
  private boolean renewing;
  private String closeReason;
  private Duration interval = Duration.ofSeconds(10);
  private long lastHeard = System.nanoTime();
  private long silenceTimer = -1;
  private long registerTimer = -1;
  /** What the agent was last told of the site's appliances. */
  private List<String> advertised = List.of();

  /**
   * @param appliances the site's appliance URLs in the order this host should try them (sent to the agent so that
   *     it can fail over); an empty list sends none
   * @param presented the client certificate the agent linked with
   * @param certificates renews the host's certificate when the agent asks
   */
  public LinkSession(Vertx vertx, ServerWebSocket ws, EnrolledHost host, HostEvents events, String appliance,
      AgentLinks registry, Timeouts timeouts, Clock clock, Supplier<List<String>> appliances,
      X509Certificate presented, AgentCertificates certificates) {
    this.certificates = Objects.requireNonNull(certificates);
    this.certificate = Objects.requireNonNull(presented);
    this.held.put(Fingerprints.sha256(presented), presented);
    this.vertx = Objects.requireNonNull(vertx);
    this.ws = Objects.requireNonNull(ws);
    this.host = Objects.requireNonNull(host);
    this.events = Objects.requireNonNull(events);
    this.appliance = Objects.requireNonNull(appliance);
    this.registry = Objects.requireNonNull(registry);
    this.timeouts = Objects.requireNonNull(timeouts);
    this.clock = Objects.requireNonNull(clock);
    this.appliances = Objects.requireNonNull(appliances);
    this.remote = ws.remoteAddress() == null ? "unknown" : ws.remoteAddress().hostAddress();
    this.since = clock.instant();
    this.address = host.address();
  }

  /** Starts reading the link; call on the connection's context. */
  public void start() {
    context = vertx.getOrCreateContext();
    ws.textMessageHandler(this::onText);
    ws.binaryMessageHandler(b -> close(LinkStatus.UNSUPPORTED_DATA, "binary messages are not part of agent-link v1"));
    ws.exceptionHandler(e -> LOG.debug("Agent link of host {} from {} failed: {}", host.id(), remote, e.toString()));
    ws.closeHandler(v -> onClosed());
    registerTimer = vertx.setTimer(timeouts.register().toMillis(), id -> {
      if (registration == null) {
        close(LinkStatus.PROTOCOL_ERROR, "no register message within " + timeouts.register().toSeconds() + " s");
      }
    });
  }

  String hostId() {
    return host.id();
  }

  /** A snapshot for operators; safe from any thread. */
  LinkedAgent view() {
    return new LinkedAgent(host.id(), host.name(), host.poolId(), address, remote, version, since, lastHeartbeat);
  }

  /** The newest client certificate the agent holds (safe from any thread), for its expiry. */
  X509Certificate certificate() {
    return certificate;
  }

  /**
   * Tells the agent which site CAs to trust now and whether to renew at once (its certificate comes from a CA being
   * retired); from any thread, after the site's CAs changed.
   */
  void trustChanged() {
    context.runOnContext(v -> {
      if (linked && !closing) {
        ws.writeTextMessage(trust(AgentLinkProtocol.message(AgentLinkProtocol.TRUST)).encode());
      }
    });
  }

  /**
   * Reports the host to the broker again with its latest state, as its registration did: after the site's broker
   * moved to another node, which knows no host until told. A failure is logged only: the next heartbeat tries
   * again.
   */
  void registerAgain() {
    context.runOnContext(v -> {
      if (linked && !closing) {
        HostRegistration current = registration;
        events.registered(current).onFailure(e -> LOG.debug("Host {} not registered again yet: {}", host.id(),
            e.getMessage()));
      }
    });
  }

  /** Runs {@code action} on this link's context (from any thread). */
  public void runOnContext(Runnable action) {
    context.runOnContext(v -> action.run());
  }

  /** Closes this link because the host linked again (from any thread). */
  void replaced() {
    context.runOnContext(v -> {
      replaced = true;
      close(LinkStatus.REPLACED, "a newer link of the same host took over");
    });
  }

  /**
   * Tells the agent to relink to another node because this one is draining (from any thread); the host stays
   * registered, since the agent registers again there within moments (and its silence unregisters it if not).
   */
  void handOff() {
    context.runOnContext(v -> {
      handedOff = true;
      close(LinkStatus.RELINK, "this appliance is draining: link to another one");
    });
  }

  /** Sends a command and completes with the agent's result; call on this link's context. */
  public Future<JsonObject> command(Command command, JsonObject request) {
    if (!linked || closing) {
      return Future.failedFuture(ClientErrorException.notFound("host " + host.id() + " is not linked to this node"));
    }
    String id = UUID.randomUUID().toString();
    JsonObject message = AgentLinkProtocol.message(AgentLinkProtocol.COMMAND).put("id", id)
        .put("command", command.wireName());
    if (request.getValue("sessionId") instanceof String sessionId) {
      message.put("sessionId", sessionId);
    }
    Promise<JsonObject> promise = Promise.promise();
    long timer = vertx.setTimer(timeouts.command().toMillis(), t -> {
      Pending expired = pending.remove(id);
      if (expired != null) {
        expired.promise().fail(new ServerErrorException(504, "timeout", "host " + host.name() + " did not answer "
            + command.wireName() + " within " + timeouts.command().toSeconds() + " s", null));
      }
    });
    pending.put(id, new Pending(promise, timer));
    ws.writeTextMessage(message.encode());
    return promise.future();
  }

  private void onText(String text) {
    lastHeard = System.nanoTime();
    if (closing) {
      return;
    }
    if (text.length() > AgentLinkProtocol.MAX_MESSAGE_BYTES / 3
        && text.getBytes(StandardCharsets.UTF_8).length > AgentLinkProtocol.MAX_MESSAGE_BYTES) {
      close(LinkStatus.TOO_BIG, "message larger than " + AgentLinkProtocol.MAX_MESSAGE_BYTES + " bytes");
      return;
    }
    JsonObject msg;
    try {
      msg = new JsonObject(text);
    } catch (RuntimeException e) {
      close(LinkStatus.INVALID_PAYLOAD, "malformed message: not a JSON object");
      return;
    }
    java.util.Optional<String> refused = AgentLinkProtocol.refusal(msg);
    if (refused.isPresent()) {
      close(LinkStatus.PROTOCOL_ERROR, refused.get());
      return;
    }
    Object type = msg.getValue("type");
    try {
      if (AgentLinkProtocol.REGISTER.equals(type)) {
        register(msg);
      } else if (registration == null) {
        close(LinkStatus.PROTOCOL_ERROR, "expected register first, got " + describe(type));
      } else if (AgentLinkProtocol.HEARTBEAT.equals(type)) {
        heartbeat(msg);
      } else if (AgentLinkProtocol.COMMAND_RESULT.equals(type)) {
        commandResult(msg);
      } else if (AgentLinkProtocol.RENEW.equals(type)) {
        renew(msg);
      } else {
        LOG.debug("Ignoring a message of type {} from host {}", describe(type), host.id());
      }
    } catch (IllegalArgumentException e) {
      close(LinkStatus.PROTOCOL_ERROR, "bad " + describe(type) + ": " + e.getMessage());
    }
  }

  private static String describe(Object type) {
    return type instanceof String text ? "'" + (text.length() > 32 ? text.substring(0, 32) + "..." : text) + "'"
        : "a message without a type";
  }

  private void register(JsonObject msg) {
    String claimed = AgentReports.text(msg, "hostId", host.id(), 64);
    if (!claimed.equals(host.id())) {
      close(LinkStatus.FORBIDDEN, "this certificate belongs to host " + host.id() + ", not " + claimed);
      return;
    }
    String reported = AgentReports.text(msg, "address", host.address(), 253);
    address = AgentLinkProtocol.HOST_ADDRESS.matcher(reported).matches() ? reported : host.address();
    version = AgentReports.text(msg, "version", "unknown", 64);
    registration = new HostRegistration(host.id(), host.name(), host.poolId(), address, appliance,
        AgentReports.services(msg), AgentReports.load(msg), AgentReports.sessions(msg));
    vertx.cancelTimer(registerTimer);
    announce(registration);
  }

  /** Tells the broker about the host and the agent what to watch. */
  private void announce(HostRegistration current) {
    events.registered(current).onComplete(ar -> {
      if (closing) {
        return;
      }
      if (ar.failed()) {
        close(LinkStatus.SERVER_ERROR, "the broker did not take the registration: " + ar.cause().getMessage());
        return;
      }
      HostEvents.Registered answer = ar.result();
      interval = answer.heartbeatInterval().compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
          : answer.heartbeatInterval();
      if (!linked) {
        linked = true;
        registry.linked(this);
        LOG.info("Host {} ({}) linked from {}", host.name(), host.id(), remote);
      }
      JsonObject registered = trust(AgentLinkProtocol.message(AgentLinkProtocol.REGISTERED).put("hostId", host.id())
          .put("ports", answer.ports()).put("heartbeatSeconds", Math.max(1, interval.toSeconds()))
          .put("renewAt", certificates.renewAtPercent()));
      advertised = appliances.get();
      if (!advertised.isEmpty()) {
        registered.put(AgentLinkProtocol.APPLIANCES, new JsonArray(advertised));
      }
      ws.writeTextMessage(registered.encode());
      watchSilence();
    });
  }

  private void heartbeat(JsonObject msg) {
    Heartbeat beat = new Heartbeat(host.id(), AgentReports.services(msg), AgentReports.load(msg),
        AgentReports.sessions(msg));
    lastHeartbeat = clock.instant();
    registration = new HostRegistration(host.id(), host.name(), host.poolId(), address, appliance, beat.services(),
        beat.load(), beat.sessions());
    advertiseChangedAppliances();
    events.heartbeat(beat).onFailure(e -> {
      if (e instanceof ClientErrorException client && client.status() == 404 && !closing) {
        LOG.info("The broker no longer knows host {} ({}); registering it again", host.name(), host.id());
        announce(registration);
      } else {
        LOG.warn("Heartbeat of host {} not delivered: {}", host.id(), e.getMessage());
      }
    });
  }

  /** Tells the agent when nodes joined or left the site since it last heard, once per heartbeat at most. */
  private void advertiseChangedAppliances() {
    List<String> current = appliances.get();
    if (!current.isEmpty() && !current.equals(advertised)) {
      advertised = current;
      ws.writeTextMessage(AgentLinkProtocol.message(AgentLinkProtocol.APPLIANCES)
          .put(AgentLinkProtocol.APPLIANCES, new JsonArray(current)).encode());
    }
  }

  /** Adds the CAs to trust, and whether to renew now, to {@code message}. */
  private JsonObject trust(JsonObject message) {
    return message.put(AgentLinkProtocol.CA, certificates.trustPem())
        .put("renew", certificates.fromRetiredCa(certificate));
  }

  /**
   * Issues the host a new certificate for the request's key, one renewal at a time; answers {@code renewed}, or
   * {@code renew-refused} with the reason (the link stays: the agent keeps its certificate and tries later).
   */
  private void renew(JsonObject msg) {
    Object id = msg.getValue("id");
    String csr = AgentReports.text(msg, "csr", "", AgentLinkProtocol.MAX_MESSAGE_BYTES);
    String claimed = AgentReports.text(msg, "holds", Fingerprints.sha256(certificate), 64);
    X509Certificate holds = held.get(claimed);
    if (renewing) {
      refuseRenewal(id, "a renewal of this host is under way");
      return;
    }
    if (holds == null) {
      refuseRenewal(id, "'holds' names no certificate this link knows of the host");
      return;
    }
    renewing = true;
    certificates.renew(host, holds, csr, UUID.randomUUID().toString()).onComplete(ar -> {
      renewing = false;
      if (closing) {
        return;
      }
      if (ar.failed()) {
        refuseRenewal(id, ar.cause() instanceof OutpostException o ? o.detail()
            : "the renewal failed on the appliance; try again later");
        return;
      }
      X509Certificate issued = ar.result();
      held.put(Fingerprints.sha256(issued), issued);
      if (held.size() > MAX_HELD) {
        // the ledger accepts two certificates of a host at most: older ones are of no use to speak for
        held.remove(held.keySet().iterator().next());
      }
      certificate = issued;
      ws.writeTextMessage(AgentLinkProtocol.message(AgentLinkProtocol.RENEWED).put("id", id)
          .put("certificate", Pem.encode(issued)).put(AgentLinkProtocol.CA, certificates.trustPem()).encode());
    });
  }

  private void refuseRenewal(Object id, String detail) {
    ws.writeTextMessage(AgentLinkProtocol.message(AgentLinkProtocol.RENEW_REFUSED).put("id", id)
        .put("detail", detail).encode());
  }

  private void commandResult(JsonObject msg) {
    Object id = msg.getValue("id");
    Pending waiting = id instanceof String key ? pending.remove(key) : null;
    if (waiting == null) {
      LOG.debug("Host {} answered unknown command {}", host.id(), id);
      return;
    }
    vertx.cancelTimer(waiting.timer());
    waiting.promise().complete(new JsonObject().put("hostId", host.id()).put("id", id)
        .put("ok", Boolean.TRUE.equals(msg.getValue("ok")))
        .put("detail", AgentReports.text(msg, "detail", "", 1024)));
  }

  private void watchSilence() {
    if (silenceTimer >= 0) {
      vertx.cancelTimer(silenceTimer);
    }
    long limitNanos = interval.toNanos() * SILENT_INTERVALS;
    silenceTimer = vertx.setPeriodic(Math.max(250, interval.toMillis() / 2), id -> {
      if (System.nanoTime() - lastHeard > limitNanos) {
        close(LinkStatus.SILENT, "no message for " + interval.multipliedBy(SILENT_INTERVALS).toSeconds()
            + " s (" + SILENT_INTERVALS + " heartbeat intervals)");
      }
    });
  }

  private void close(LinkStatus status, String reason) {
    if (closing) {
      return;
    }
    closing = true;
    closeReason = reason;
    if (status == LinkStatus.REPLACED || status == LinkStatus.NORMAL || status == LinkStatus.RELINK) {
      LOG.info("Closing the link of host {} ({}): {}", host.name(), host.id(), reason);
    } else {
      LOG.warn("Closing the link of host {} ({}) from {}: {}", host.name(), host.id(), remote, reason);
    }
    ws.close(status.closeCode(), closeReason(reason));
  }

  private void onClosed() {
    closing = true;
    vertx.cancelTimer(registerTimer);
    if (silenceTimer >= 0) {
      vertx.cancelTimer(silenceTimer);
    }
    String reason = closeReason != null ? closeReason
        : "the agent closed the link (" + ws.closeStatusCode()
            + (ws.closeReason() == null ? "" : " " + ws.closeReason()) + ")";
    pending.values().forEach(p -> {
      vertx.cancelTimer(p.timer());
      p.promise().tryFail(ServerErrorException.unavailable("the link of host " + host.id() + " closed: " + reason));
    });
    pending.clear();
    // a link that a newer one replaced leaves the host registered: the newer link speaks for it now
    if (linked && handedOff) {
      registry.unlinked(this);
      LOG.info("Host {} ({}) handed off: {}", host.name(), host.id(), reason);
    } else if (linked && !replaced && registry.unlinked(this)) {
      LOG.info("Host {} ({}) unlinked: {}", host.name(), host.id(), reason);
      events.lost(host.id(), reason).onFailure(e -> LOG.warn("Could not report host {} as lost: {}", host.id(),
          e.getMessage()));
    }
  }
}
