package dev.outpost.gateway.impl;

import dev.outpost.gateway.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The part every gateway entry shares: open the far end for a presented ticket (see {@link StreamOpener}) and
 * carry the stream, remembering the open streams per session so that a disconnect can end them. Methods are
 * called on the client connection's context; the far end lives on the same one.
 */
public final class SessionRelay {

  private final Vertx vertx;
  private final GatewayConfig config;
  private final StreamOpener opener;
  private final SessionReports reports;
  private final GatewayMetrics metrics;
  private final HandshakeSlots handshakes;

  /** Open streams by session id, so that a disconnect or log-off can end them. */
  private final Map<String, Set<Splice>> live = new ConcurrentHashMap<>();

  public SessionRelay(Vertx vertx, GatewayConfig config, StreamOpener opener, SessionReports reports,
      GatewayMetrics metrics, HandshakeSlots handshakes) {
    this.vertx = Objects.requireNonNull(vertx);
    this.config = Objects.requireNonNull(config);
    this.opener = Objects.requireNonNull(opener);
    this.reports = Objects.requireNonNull(reports);
    this.metrics = Objects.requireNonNull(metrics);
    this.handshakes = Objects.requireNonNull(handshakes);
  }

  public Vertx vertx() {
    return vertx;
  }

  public GatewayConfig config() {
    return config;
  }

  public HandshakeSlots handshakes() {
    return handshakes;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  /** Opens the far end of the stream a client asks for with its ticket. */
  public Future<StreamOpener.Opened> open(StreamOpener.Request request) {
    return opener.open(request);
  }

  /** The way this relay opens streams: consume the ticket and dial, or ask an appliance (hub). */
  public StreamOpener opener() {
    return opener;
  }

  /** Carries the stream until either side ends; {@code early} bytes go to the far end first. */
  public void splice(StreamOpener.Opened opened, Splice.End client, Buffer early) {
    String sessionId = opened.sessionId();
    Splice[] self = new Splice[1];
    self[0] = new Splice(vertx, sessionId, opened.far(), client, metrics, reports, config.idleTimeout(),
        () -> live.computeIfPresent(sessionId, (id, set) -> {
          set.remove(self[0]);
          return set.isEmpty() ? null : set;
        }));
    live.computeIfAbsent(sessionId, id -> ConcurrentHashMap.newKeySet()).add(self[0]);
    self[0].start(early);
  }

  /** Ends every stream of this session on this node; returns how many there were. */
  public int cut(String sessionId) {
    Set<Splice> streams = live.getOrDefault(sessionId, Set.of());
    streams.forEach(Splice::cut);
    return streams.size();
  }
}
