package dev.outpost.gateway.impl;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.SessionState;
import dev.outpost.error.ClientErrorException;
import io.vertx.core.Future;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the broker when a session's stream connects and ends. A session may have several streams on this node
 * (e.g. a forwarded port with a fresh ticket per connection): it is connected while any is open. Reports of one
 * session are sent one after the other so that the broker sees them in order.
 */
public final class SessionReports {

  private static final Logger LOG = LoggerFactory.getLogger(SessionReports.class);

  /** Records a session's new state somewhere (the broker). */
  @FunctionalInterface
  public interface StateMarker {
    Future<?> mark(String sessionId, SessionState state);
  }

  private final StateMarker marker;
  private final Map<String, Streams> sessions = new HashMap<>();

  public SessionReports(StateMarker marker) {
    this.marker = Objects.requireNonNull(marker);
  }

  /** Reports to the broker. */
  public static SessionReports to(BrokerClient broker) {
    return new SessionReports(broker::markState);
  }

  /** Reports nowhere: for a gateway that only passes streams on (the hub's), whose far end reports them. */
  public static SessionReports none() {
    return new SessionReports((sessionId, state) -> Future.succeededFuture());
  }

  private static final class Streams {
    int open;
    Future<Void> last = Future.succeededFuture();
  }

  /** A stream of the session reached its host. */
  public void opened(String sessionId) {
    synchronized (sessions) {
      Streams streams = sessions.computeIfAbsent(sessionId, id -> new Streams());
      if (streams.open++ == 0) {
        report(sessionId, streams, SessionState.CONNECTED);
      }
    }
  }

  /** A stream of the session ended. */
  public void closed(String sessionId) {
    synchronized (sessions) {
      Streams streams = sessions.get(sessionId);
      if (streams == null) {
        return;
      }
      if (--streams.open == 0) {
        report(sessionId, streams, SessionState.DISCONNECTED);
        Future<Void> last = streams.last;
        last.onComplete(ar -> forget(sessionId, streams));
      }
    }
  }

  private void forget(String sessionId, Streams streams) {
    synchronized (sessions) {
      if (streams.open == 0 && sessions.get(sessionId) == streams) {
        sessions.remove(sessionId);
      }
    }
  }

  private void report(String sessionId, Streams streams, SessionState state) {
    streams.last = streams.last.transform(ignored -> marker.mark(sessionId, state)
        .onFailure(e -> {
          if (e instanceof ClientErrorException) {
            LOG.debug("Could not mark session {} {}: {}", sessionId, state.wireName(), e.getMessage());
          } else {
            LOG.warn("Could not mark session {} {}: {}", sessionId, state.wireName(), e.getMessage());
          }
        })
        .<Void>mapEmpty()
        .recover(e -> Future.succeededFuture()));
  }
}
