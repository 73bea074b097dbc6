package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.SessionState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts a broker's open sessions by state as it reports their changes, for the gauge
 * {@code outpost_sessions{state="launching"|"connected"|"disconnected"}}, then passes each change on. Kept from the
 * changes rather than by scanning the broker, which belongs to one context while a scrape runs on any thread.
 * Used on the broker's context only; the counts are read from anywhere.
 */
public final class SessionTally implements Broker.SessionListener {

  /** The states of an open session, in the order they are reported. */
  public static final List<SessionState> OPEN_STATES = java.util.Arrays.stream(SessionState.values())
      .filter(SessionState::open).toList();

  private final Broker.SessionListener next;
  private final Map<String, SessionState> stateOf = new HashMap<>();
  private final Map<SessionState, AtomicInteger> counts = new LinkedHashMap<>();

  /** @param next told every change after it is counted */
  public SessionTally(MeterRegistry registry, Broker.SessionListener next) {
    this.next = Objects.requireNonNull(next);
    for (SessionState state : OPEN_STATES) {
      AtomicInteger count = new AtomicInteger();
      counts.put(state, count);
      Gauge.builder("outpost.sessions", count, AtomicInteger::get).tag("state", state.wireName())
          .description("Open sessions this node's broker holds, by state").register(registry);
    }
  }

  @Override
  public void accept(SessionView session) {
    SessionState before = session.state().open() ? stateOf.put(session.id(), session.state())
        : stateOf.remove(session.id());
    move(before, -1);
    move(session.state(), +1);
    next.accept(session);
  }

  /** Open sessions in {@code state} now. */
  public int count(SessionState state) {
    AtomicInteger count = counts.get(state);
    return count == null ? 0 : count.get();
  }

  private void move(SessionState state, int delta) {
    AtomicInteger count = state == null ? null : counts.get(state);
    if (count != null) {
      count.addAndGet(delta);
    }
  }
}
