package dev.outpost.gateway.impl;

import dev.outpost.gateway.GatewayStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's Prometheus metrics: {@code outpost_gateway_bytes_total{direction="up"|"down"}} (up: client to
 * host), {@code outpost_gateway_connections} (open streams), {@code outpost_gateway_handshakes} (connections
 * still presenting a ticket), {@code outpost_gateway_streams_total} and
 * {@code outpost_gateway_refusals_total{reason}}.
 */
public final class GatewayMetrics {

  private final Counter up;
  private final Counter down;
  private final Counter streams;
  private final AtomicInteger connections = new AtomicInteger();
  private final Map<GatewayStatus, Counter> refusals = new EnumMap<>(GatewayStatus.class);

  public GatewayMetrics(MeterRegistry registry, HandshakeSlots handshakes) {
    up = Counter.builder("outpost.gateway.bytes").tag("direction", "up")
        .description("Bytes carried by the gateway; up: client to host, down: host to client").register(registry);
    down = Counter.builder("outpost.gateway.bytes").tag("direction", "down")
        .description("Bytes carried by the gateway; up: client to host, down: host to client").register(registry);
    streams = Counter.builder("outpost.gateway.streams").description("Streams opened to session hosts")
        .register(registry);
    Gauge.builder("outpost.gateway.connections", connections, AtomicInteger::get)
        .description("Open gateway streams on this node").register(registry);
    Gauge.builder("outpost.gateway.handshakes", handshakes, HandshakeSlots::inUse)
        .description("Gateway connections on this node that have not presented a valid ticket yet")
        .register(registry);
    for (GatewayStatus status : GatewayStatus.values()) {
      refusals.put(status, Counter.builder("outpost.gateway.refusals").tag("reason", status.reason())
          .description("Gateway connections refused or closed, by reason").register(registry));
    }
  }

  void up(long bytes) {
    up.increment(bytes);
  }

  void down(long bytes) {
    down.increment(bytes);
  }

  void opened() {
    streams.increment();
    connections.incrementAndGet();
  }

  void closed() {
    connections.decrementAndGet();
  }

  public void refused(GatewayStatus status) {
    refusals.get(status).increment();
  }

  /** Open streams on this node. */
  public int connections() {
    return connections.get();
  }
}
