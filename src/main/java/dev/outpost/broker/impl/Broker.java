package dev.outpost.broker.impl;

import dev.outpost.broker.BrokerModels;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.SiteModel;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Places sessions on hosts for one resource location. Single-threaded by contract: the owner calls it from
 * one event-loop context, which makes every placement atomic without locks. The same class serves the hub's
 * primary broker and (later) an appliance's local broker.
 *
 * <p>Placement: the user's open session of the resource first (same host, new ticket); else the registered
 * host of the resource's pool with the fewest sessions (then the lowest load, then the name), never at
 * capacity, never draining or in maintenance, never one whose service port is reported down.
 */
public final class Broker {

  /** The reason {@link #enumerate} gives for a resource whose accepting hosts are all full. */
  public static final String AT_CAPACITY = BrokerModels.ResourceView.AT_CAPACITY;

  /** Tunables of placement and expiry. */
  public record Settings(Duration ticketTtl, Duration heartbeatInterval, int missedHeartbeats, Duration launchGrace) {
    /** The defaults with this heartbeat interval and ticket lifetime. */
    public static Settings of(Duration heartbeatInterval, Duration ticketTtl) {
      return new Settings(ticketTtl, heartbeatInterval, 3, Duration.ofMinutes(2));
    }

    public static Settings defaults() {
      return new Settings(Duration.ofSeconds(100), Duration.ofSeconds(10), 3, Duration.ofMinutes(2));
    }

    Duration silenceLimit() {
      return heartbeatInterval.multipliedBy(missedHeartbeats);
    }
  }

  /** A change worth persisting or forwarding: a session that was created or changed state. */
  public interface SessionListener extends Consumer<SessionView> {
  }

  private static final class Host {
    final String id;
    String name;
    String poolId;
    String address;
    String appliance;
    boolean draining;
    boolean maintenance;
    Map<Integer, Boolean> services = Map.of();
    double load;
    Instant lastSeen;
    int sessions;

    Host(String id) {
      this.id = id;
    }
  }

  private static final class Session {
    final String id;
    final UserRef user;
    final SiteModel.Resource resource;
    final Host host;
    final Instant createdAt;
    SessionState state = SessionState.LAUNCHING;
    String endReason;
    Instant updatedAt;

    Session(String id, UserRef user, SiteModel.Resource resource, Host host, Instant now) {
      this.id = id;
      this.user = user;
      this.resource = resource;
      this.host = host;
      this.createdAt = now;
      this.updatedAt = now;
    }

    boolean open() {
      return state.open();
    }
  }

  private final Supplier<SiteModel> model;
  private final Settings settings;
  private final Clock clock;
  private final SessionListener listener;
  private final Map<String, Host> hosts = new HashMap<>();
  private final Map<String, Session> sessions = new LinkedHashMap<>();
  /** Open sessions by user id and resource id, for reconnection. */
  private final Map<String, Session> openByUserResource = new HashMap<>();
  /** Every known session of a user, so that a user's own listing does not scan everyone's. */
  private final Map<String, java.util.Set<Session>> byUser = new HashMap<>();

  public Broker(Supplier<SiteModel> model, Settings settings, Clock clock, SessionListener listener) {
    this.model = Objects.requireNonNull(model);
    this.settings = Objects.requireNonNull(settings);
    this.clock = Objects.requireNonNull(clock);
    this.listener = Objects.requireNonNull(listener);
  }

  // ---- hosts ----------------------------------------------------------------------------------------

  /** Adds or refreshes a host; admin flags (drain, maintenance) come from the caller's records. */
  public HostView register(HostRegistration registration, boolean draining, boolean maintenance) {
    Host host = hosts.computeIfAbsent(registration.id(), Host::new);
    host.name = registration.name();
    host.poolId = registration.poolId();
    host.address = registration.address();
    host.appliance = registration.appliance();
    host.services = registration.services();
    host.load = registration.load();
    host.draining = draining;
    host.maintenance = maintenance;
    host.lastSeen = clock.instant();
    return view(host);
  }

  /** Records a heartbeat; fails with 404 when the host is not registered (it must register again). */
  public void heartbeat(Heartbeat heartbeat) {
    Host host = hosts.get(heartbeat.hostId());
    if (host == null) {
      throw ClientErrorException.notFound("host " + heartbeat.hostId() + " is not registered; register again");
    }
    host.services = heartbeat.services();
    host.load = heartbeat.load();
    host.lastSeen = clock.instant();
  }

  /** Unregisters a host; its open sessions end as lost. Returns whether it was registered. */
  public boolean lost(String hostId, String reason) {
    Host host = hosts.remove(hostId);
    if (host == null) {
      return false;
    }
    for (Session session : new ArrayList<>(sessions.values())) {
      if (session.host == host && session.open()) {
        end(session, "host lost: " + reason);
      }
    }
    return true;
  }

  /**
   * Like {@link #lost}, but only while the host is registered through {@code appliance}: when an agent moved to
   * another node (its appliance died or its link broke), the old node's late report of the lost link must not end
   * the sessions the host still runs.
   */
  public boolean lostThrough(String hostId, String appliance, String reason) {
    Host host = hosts.get(hostId);
    if (host != null && !Objects.equals(host.appliance, appliance)) {
      return false;
    }
    return lost(hostId, reason);
  }

  /** Hosts silent for longer than the allowed missed heartbeats; call periodically. Returns their ids. */
  public List<String> expireSilentHosts() {
    return expireSilentHosts(Instant.MIN);
  }

  /**
   * Like {@link #expireSilentHosts()}, with silence counted from {@code countFrom} at the earliest: the hub counts a
   * host's silence only from when its location's appliances report again ({@link LocationContact}).
   */
  public List<String> expireSilentHosts(Instant countFrom) {
    Instant cutoff = clock.instant().minus(settings.silenceLimit());
    if (countFrom.isAfter(cutoff)) {
      return List.of();
    }
    List<String> silent = hosts.values().stream().filter(h -> h.lastSeen.isBefore(cutoff)).map(h -> h.id).toList();
    silent.forEach(id -> lost(id, "no heartbeat for " + settings.silenceLimit().toSeconds() + " s"));
    return silent;
  }

  public Optional<HostView> host(String hostId) {
    return Optional.ofNullable(hosts.get(hostId)).map(this::view);
  }

  public List<HostView> hosts() {
    return hosts.values().stream().sorted(Comparator.comparing(h -> h.name)).map(this::view).toList();
  }

  public HostView setDraining(String hostId, boolean draining) {
    Host host = requireHost(hostId);
    host.draining = draining;
    return view(host);
  }

  public HostView setMaintenance(String hostId, boolean maintenance) {
    Host host = requireHost(hostId);
    host.maintenance = maintenance;
    return view(host);
  }

  // ---- enumeration and launch -----------------------------------------------------------------------

  /** The user's entitled resources, each with whether a launch could be placed now. */
  public List<ResourceView> enumerate(UserRef user) {
    SiteModel site = model.get();
    List<ResourceView> views = new ArrayList<>();
    for (SiteModel.Resource resource : site.entitledResources(user.id(), user.directoryGroups())) {
      Session open = openByUserResource.get(key(user.id(), resource.id()));
      if (open != null) {
        views.add(new ResourceView(resource, true, "reconnect"));
        continue;
      }
      String refusal = placementRefusal(site, resource);
      views.add(new ResourceView(resource, refusal == null, refusal));
    }
    return views;
  }

  /**
   * Places a session, or finds the user's open one of the resource; the ticket is the launching appliance's. 404 for
   * an unknown or unentitled resource, 503 when no host of its pool is registered and accepting, 409 when all
   * accepting hosts are full.
   */
  public Placement place(UserRef user, String resourceIdOrName) {
    SiteModel site = model.get();
    SiteModel.Resource resource = site.resource(resourceIdOrName)
        .filter(r -> site.entitled(user.id(), user.directoryGroups(), r.id()))
        .orElseThrow(() -> ClientErrorException.notFound("no resource '" + resourceIdOrName
            + "' is published to " + user.username()));
    Instant now = clock.instant();
    Session session = openByUserResource.get(key(user.id(), resource.id()));
    boolean reconnected = session != null && hosts.get(session.host.id) == session.host;
    if (!reconnected) {
      Host host = choose(site, resource);
      session = new Session(UUID.randomUUID().toString(), user, resource, host, now);
      sessions.put(session.id, session);
      byUser.computeIfAbsent(user.id(), k -> new java.util.LinkedHashSet<>()).add(session);
      openByUserResource.put(key(user.id(), resource.id()), session);
      host.sessions++;
      listener.accept(view(session));
    }
    return new Placement(view(session), now.plus(settings.ticketTtl()), reconnected, resource.launchHint(),
        resource.hostLogin(), site.pool(resource.poolId()).map(SiteModel.Pool::recordSessions).orElse(false));
  }

  private Host choose(SiteModel site, SiteModel.Resource resource) {
    int max = site.pool(resource.poolId()).map(SiteModel.Pool::maxSessionsPerHost).orElse(0);
    List<Host> accepting = accepting(resource);
    if (accepting.isEmpty()) {
      throw ServerErrorException.noHostAvailable(refusalWhenNone(site, resource));
    }
    return accepting.stream()
        .filter(h -> h.sessions < max)
        .min(Comparator.<Host>comparingInt(h -> h.sessions).thenComparingDouble(h -> h.load)
            .thenComparing(h -> h.name))
        .orElseThrow(() -> ClientErrorException.atCapacity("all " + accepting.size() + " host(s) of pool '"
            + poolName(site, resource) + "' are at capacity (" + max + " sessions each); try again later"));
  }

  private List<Host> accepting(SiteModel.Resource resource) {
    Predicate<Host> serves = h -> resource.poolId().equals(h.poolId) && !h.draining && !h.maintenance
        && !Boolean.FALSE.equals(h.services.get(resource.port()));
    return hosts.values().stream().filter(serves).toList();
  }

  /** Why a launch of this resource would fail now, or {@code null} when it would be placed. */
  private String placementRefusal(SiteModel site, SiteModel.Resource resource) {
    List<Host> accepting = accepting(resource);
    if (accepting.isEmpty()) {
      return refusalWhenNone(site, resource);
    }
    int max = site.pool(resource.poolId()).map(SiteModel.Pool::maxSessionsPerHost).orElse(0);
    return accepting.stream().anyMatch(h -> h.sessions < max) ? null : AT_CAPACITY;
  }

  private String refusalWhenNone(SiteModel site, SiteModel.Resource resource) {
    List<Host> inPool = hosts.values().stream().filter(h -> resource.poolId().equals(h.poolId)).toList();
    String pool = poolName(site, resource);
    if (inPool.isEmpty()) {
      return "no session host of pool '" + pool + "' is registered";
    }
    if (inPool.stream().allMatch(h -> h.draining || h.maintenance)) {
      return "every host of pool '" + pool + "' is draining or in maintenance";
    }
    return "the service on port " + resource.port() + " is down on every host of pool '" + pool + "'";
  }

  // ---- sessions -------------------------------------------------------------------------------------

  /** Sessions matching the filter, newest first. */
  public List<SessionView> sessions(Predicate<SessionView> filter) {
    return collect(sessions.values(), filter);
  }

  /** One user's sessions matching the filter, newest first; cheap however many sessions others have. */
  public List<SessionView> sessionsOf(String userId, Predicate<SessionView> filter) {
    return collect(byUser.getOrDefault(userId, java.util.Set.of()), filter);
  }

  private List<SessionView> collect(java.util.Collection<Session> candidates, Predicate<SessionView> filter) {
    List<SessionView> result = new ArrayList<>();
    for (Session s : candidates) {
      SessionView v = view(s);
      if (filter.test(v)) {
        result.add(v);
      }
    }
    result.sort(Comparator.comparing(SessionView::createdAt).reversed());
    return result;
  }

  public Optional<SessionView> session(String id) {
    return Optional.ofNullable(sessions.get(id)).map(this::view);
  }

  /**
   * Takes over a session another broker placed: an appliance that brokered alone while the hub could not be
   * reached reports its sessions when the hub is back, and an appliance's standby broker mirrors the hub's
   * placements. Idempotent by session id: a known session only takes the reported state. A host not registered
   * here yet is added from the session's fields; its agent's next heartbeat completes it, or the silence limit
   * removes it (and ends its sessions as lost).
   *
   * @param appliance the appliance node that holds the host's agent, for a host added here
   */
  public SessionView adopt(SessionView reported, String appliance) {
    Session known = sessions.get(reported.id());
    if (known != null) {
      if (known.open() && !reported.state().open()) {
        end(known, reported.endReason() == null ? "ended" : reported.endReason());
      } else if (known.open()) {
        known.state = reported.state();
        known.updatedAt = reported.updatedAt();
      }
      return view(known);
    }
    SiteModel site = model.get();
    SiteModel.Resource resource = site.resource(reported.resourceId()).orElseThrow(() -> ClientErrorException
        .notFound("resource " + reported.resourceId() + " of session " + reported.id() + " is not published"));
    Host host = hosts.computeIfAbsent(reported.hostId(), id -> {
      Host stub = new Host(id);
      stub.name = reported.hostName();
      stub.poolId = resource.poolId();
      stub.address = reported.hostAddress();
      stub.appliance = appliance;
      stub.lastSeen = clock.instant();
      return stub;
    });
    Session session = new Session(reported.id(), new UserRef(reported.userId(), reported.username()), resource, host,
        reported.createdAt());
    session.state = reported.state();
    session.endReason = reported.endReason();
    session.updatedAt = reported.updatedAt();
    sessions.put(session.id, session);
    byUser.computeIfAbsent(session.user.id(), k -> new java.util.LinkedHashSet<>()).add(session);
    if (session.open()) {
      openByUserResource.putIfAbsent(key(session.user.id(), resource.id()), session);
      host.sessions++;
    }
    SessionView view = view(session);
    listener.accept(view);
    return view;
  }

  /** Moves a session to connected or disconnected (reported by the gateway or the agent). */
  public SessionView markState(String sessionId, SessionState state) {
    Session session = sessions.get(sessionId);
    if (session == null || !session.open()) {
      throw ClientErrorException.notFound("no open session " + sessionId);
    }
    if (state != SessionState.CONNECTED && state != SessionState.DISCONNECTED) {
      throw ClientErrorException.validation("a session can be marked connected or disconnected, not "
          + state.wireName());
    }
    session.state = state;
    session.updatedAt = clock.instant();
    SessionView view = view(session);
    listener.accept(view);
    return view;
  }

  /** Ends a session (log off, host lost, never connected). */
  public SessionView end(String sessionId, String reason) {
    Session session = sessions.get(sessionId);
    if (session == null) {
      throw ClientErrorException.notFound("no session " + sessionId);
    }
    if (session.open()) {
      end(session, reason);
    }
    return view(session);
  }

  /**
   * Ends sessions that never connected within the ticket lifetime plus the grace, and forgets ended sessions
   * older than {@code keepEnded}. Call periodically.
   */
  public int sweep(Duration keepEnded) {
    Instant now = clock.instant();
    Instant launchCutoff = now.minus(settings.ticketTtl()).minus(settings.launchGrace());
    int ended = 0;
    for (Session session : new ArrayList<>(sessions.values())) {
      if (session.state == SessionState.LAUNCHING && session.updatedAt.isBefore(launchCutoff)) {
        end(session, "never connected");
        ended++;
      }
    }
    Instant forgetCutoff = now.minus(keepEnded);
    sessions.values().removeIf(s -> {
      boolean forget = !s.open() && s.updatedAt.isBefore(forgetCutoff);
      if (forget) {
        java.util.Set<Session> own = byUser.get(s.user.id());
        if (own != null && own.remove(s) && own.isEmpty()) {
          byUser.remove(s.user.id());
        }
      }
      return forget;
    });
    return ended;
  }

  private void end(Session session, String reason) {
    session.state = SessionState.ENDED;
    session.endReason = reason;
    session.updatedAt = clock.instant();
    session.host.sessions = Math.max(0, session.host.sessions - 1);
    openByUserResource.remove(key(session.user.id(), session.resource.id()), session);
    listener.accept(view(session));
  }

  // ---- views ----------------------------------------------------------------------------------------

  private Host requireHost(String hostId) {
    Host host = hosts.get(hostId);
    if (host == null) {
      throw ClientErrorException.notFound("host " + hostId + " is not registered");
    }
    return host;
  }

  private HostView view(Host h) {
    SiteModel site = model.get();
    String poolName = site.pool(h.poolId).map(SiteModel.Pool::name).orElse("");
    int max = site.pool(h.poolId).map(SiteModel.Pool::maxSessionsPerHost).orElse(0);
    String state = h.maintenance ? "maintenance" : h.draining ? "draining" : "registered";
    return new HostView(h.id, h.name, h.poolId, poolName, h.address, h.appliance, state, h.draining, h.maintenance,
        h.sessions, max, h.load, h.services, h.lastSeen);
  }

  private SessionView view(Session s) {
    String poolName = model.get().pool(s.resource.poolId()).map(SiteModel.Pool::name).orElse(null);
    return new SessionView(s.id, s.user.id(), s.user.username(), s.resource.id(), s.resource.name(),
        s.resource.poolId(), poolName, s.host.id, s.host.name, s.host.address, s.resource.port(), s.state, s.endReason,
        s.createdAt, s.updatedAt);
  }

  private static String poolName(SiteModel site, SiteModel.Resource resource) {
    return site.pool(resource.poolId()).map(SiteModel.Pool::name).orElse(resource.poolId());
  }

  private static String key(String userId, String resourceId) {
    return userId + "/" + resourceId;
  }
}
