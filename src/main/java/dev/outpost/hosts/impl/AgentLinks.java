package dev.outpost.hosts.impl;

import dev.outpost.hosts.AgentDirectory.LinkedAgent;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** The registered links of this node by host id. Safe from any thread; each link runs on its own context. */
public final class AgentLinks {

  private final Map<String, LinkSession> byHost = new ConcurrentHashMap<>();

  /** Makes {@code session} the host's link; an older link of the same host is closed as replaced. */
  void linked(LinkSession session) {
    LinkSession previous = byHost.put(session.hostId(), session);
    if (previous != null && previous != session) {
      previous.replaced();
    }
  }

  /** Forgets {@code session}; false when a newer link of the host already took its place. */
  boolean unlinked(LinkSession session) {
    return byHost.remove(session.hostId(), session);
  }

  /** The host's live link, or null. */
  public LinkSession get(String hostId) {
    return byHost.get(hostId);
  }

  /** Tells every linked agent to relink to another node; returns how many were told. */
  public int handOffAll() {
    List<LinkSession> sessions = List.copyOf(byHost.values());
    sessions.forEach(LinkSession::handOff);
    return sessions.size();
  }

  /** Reports every linked host to the broker again (it moved to another node). */
  public void registerAllAgain() {
    List.copyOf(byHost.values()).forEach(LinkSession::registerAgain);
  }

  /** Tells every linked agent that the site's CAs changed. */
  public void trustChanged() {
    List.copyOf(byHost.values()).forEach(LinkSession::trustChanged);
  }

  /** When the soonest ending certificate among the linked agents ends; empty when none is linked. */
  public Optional<Instant> soonestExpiry() {
    return byHost.values().stream().map(session -> session.certificate().getNotAfter().toInstant())
        .min(Comparator.naturalOrder());
  }

  /** How many agents are linked now. */
  public int size() {
    return byHost.size();
  }

  public List<LinkedAgent> views() {
    return byHost.values().stream().map(LinkSession::view)
        .sorted(Comparator.comparing(LinkedAgent::name, Comparator.nullsLast(Comparator.naturalOrder()))
            .thenComparing(LinkedAgent::hostId))
        .toList();
  }
}
