package dev.outpost.broker.impl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.broker.BrokerClient.SessionQuery;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.SiteModel;
import dev.outpost.broker.impl.BrokerWire.HubBroker;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import dev.outpost.hosts.HostEvents.Registered;
import dev.outpost.relay.Requests;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The broker wire end to end without a socket: {@link RelayedBroker} (the stub) sends each operation as JSON text,
 * {@link BrokerWire} (the skeleton) decodes it, calls a typed broker and encodes its answer, and the stub reads the
 * answer back into the same records.
 */
class BrokerWireTest {

  static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");
  static final UserRef ALICE = new UserRef("u1", "alice", Set.of("cn=staff,dc=example,dc=org"));
  static final SessionView SESSION = new SessionView("s1", "u1", "alice", "r1", "ssh", "p1", "linux", "h1",
      "host-1", "10.0.0.5", 22, SessionState.LAUNCHING, null, NOW, NOW);
  static final HostView HOST = new HostView("h1", "host-1", "p1", "linux", "10.0.0.5", "node-a", "registered", false,
      false, 1, 4, 0.25, Map.of(22, true), NOW);
  static final SiteModel.Resource SSH = new SiteModel.Resource("r1", "ssh", "Shell", "p1", "desktop", 22, "ssh");

  /** A broker that answers with the records above and notes what it was asked, as one line per call. */
  static final class Recording implements HubBroker {
    final List<String> calls = new ArrayList<>();
    final List<Object> arguments = new ArrayList<>();

    private <T> Future<T> answer(String call, T result, Object... args) {
      calls.add(call);
      arguments.addAll(List.of(args));
      return Future.succeededFuture(result);
    }

    @Override
    public Future<List<ResourceView>> resources(UserRef user) {
      return answer("resources", List.of(new ResourceView(SSH, true, null)), user);
    }

    @Override
    public Future<Placement> place(UserRef user, String resource) {
      return answer("place", new Placement(SESSION, NOW.plusSeconds(100), false, "ssh"), user, resource);
    }

    @Override
    public Future<List<SessionView>> sessions(SessionQuery query) {
      return answer("sessions", List.of(SESSION), query);
    }

    @Override
    public Future<SessionView> logoff(String sessionId, String reason) {
      return answer("logoff", SESSION, sessionId, reason);
    }

    @Override
    public Future<SessionView> disconnect(String sessionId) {
      return answer("disconnect", SESSION, sessionId);
    }

    @Override
    public Future<SessionView> markState(String sessionId, SessionState state) {
      return answer("markState", SESSION, sessionId, state);
    }

    @Override
    public Future<List<HostView>> hosts() {
      return answer("hosts", List.of(HOST));
    }

    @Override
    public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
      // an enrolled host whose agent is not registered now has no view
      return answer("updateHost", "h2".equals(hostId) ? null : HOST, hostId, String.valueOf(draining),
          String.valueOf(maintenance));
    }

    @Override
    public Future<Registered> registered(HostRegistration registration) {
      return answer("registered", new Registered(List.of(22, 3389), Duration.ofSeconds(7)), registration);
    }

    @Override
    public Future<Void> heartbeat(Heartbeat heartbeat) {
      return answer("heartbeat", null, heartbeat);
    }

    @Override
    public Future<Void> lost(String hostId, String reason) {
      return answer("lost", null, hostId, reason);
    }

    @Override
    public Future<Optional<SiteModel>> snapshot(long haveVersion) {
      return answer("snapshot", Optional.empty(), haveVersion);
    }

    @Override
    public Future<Integer> adopt(List<SessionView> sessions) {
      return answer("adopt", sessions.size(), sessions);
    }
  }

  final Recording hub = new Recording();
  /** What the stub sent last, as the skeleton received it. */
  final List<JsonObject> sent = new ArrayList<>();

  /** Requests carried as text, as a tunnel or the event bus carries them, to the skeleton of {@code serve}. */
  Requests wire(Function<String, Function<JsonObject, Future<JsonObject>>> serve) {
    return (op, body) -> {
      JsonObject received = new JsonObject(body.encode());
      sent.add(received);
      Function<JsonObject, Future<JsonObject>> handler = serve.apply(op);
      if (handler == null) {
        return Future.failedFuture(ClientErrorException.notFound("unknown operation " + op));
      }
      return handler.apply(received).map(answer -> new JsonObject(answer.encode()));
    };
  }

  @Test
  void everyOperationReachesTheTypedBrokerAndItsAnswerComesBackAsTheSameRecords() {
    // GIVEN the stub wired to the hub's skeleton
    RelayedBroker stub = new RelayedBroker(wire(op -> BrokerWire.hub(op, hub)));
    SessionQuery query = new SessionQuery(null, "alice", SessionState.CONNECTED, "host-1", null, true, 20);
    HostRegistration registration = new HostRegistration("h1", "host-1", "p1", "10.0.0.5", "node-a",
        Map.of(22, true), 0.5, List.of("s1"));
    Heartbeat heartbeat = new Heartbeat("h1", Map.of(22, false), 1.5, List.of());

    // WHEN every brokering call and host report goes through it
    record Case(String call, Future<?> result, Object expected, List<Object> arguments) {
    }
    List<Case> cases = List.of(
        new Case("resources", stub.resources(ALICE), List.of(new ResourceView(SSH, true, null)), List.of(ALICE)),
        new Case("place", stub.place(ALICE, "ssh"), new Placement(SESSION, NOW.plusSeconds(100), false, "ssh"),
            List.of(ALICE, "ssh")),
        new Case("sessions", stub.sessions(query), List.of(SESSION), List.of(query)),
        new Case("logoff", stub.logoff("s1", "logged off by admin"), SESSION, List.of("s1", "logged off by admin")),
        new Case("disconnect", stub.disconnect("s1"), SESSION, List.of("s1")),
        new Case("markState", stub.markState("s1", SessionState.CONNECTED), SESSION,
            List.of("s1", SessionState.CONNECTED)),
        new Case("hosts", stub.hosts(), List.of(HOST), List.of()),
        new Case("updateHost", stub.updateHost("h1", true, null), HOST, List.of("h1", "true", "null")),
        new Case("registered", stub.registered(registration),
            new Registered(List.of(22, 3389), Duration.ofSeconds(7)), List.of(registration)),
        new Case("heartbeat", stub.heartbeat(heartbeat), null, List.of(heartbeat)),
        new Case("lost", stub.lost("h1", "agent link lost"), null, List.of("h1", "agent link lost")));

    // THEN each reached its typed method with equal arguments, and its answer reads back equal
    for (Case c : cases) {
      int call = cases.indexOf(c);
      assertThat(c.result().succeeded()).as(c.call() + ": " + c.result().cause()).isTrue();
      assertThat(hub.calls.get(call)).isEqualTo(c.call());
      assertThat(c.result().result()).as(c.call()).isEqualTo(c.expected());
    }
    assertThat(hub.arguments).containsExactlyElementsOf(cases.stream().flatMap(c -> c.arguments().stream())
        .toList());
  }

  @Test
  void aLaunchAnswerCarriesNoTicketForThisVersionAndOneForAnApplianceOfThePreviousVersion() {
    // GIVEN the hub's skeleton
    RelayedBroker stub = new RelayedBroker(wire(op -> BrokerWire.hub(op, hub)));

    // WHEN this version's stub launches, THEN no ticket crossed the wire: the appliance mints it
    assertThat(stub.place(ALICE, "ssh").succeeded()).isTrue();
    assertThat(sent.get(0).getBoolean("mintsTicket")).isTrue();
    JsonObject answer = BrokerWire.hub(BrokerOperations.LAUNCH, hub).apply(sent.get(0)).result();
    assertThat(answer.fieldNames()).doesNotContain("ticket", "ticketHash");

    // WHEN an appliance of the previous version asks (no mintsTicket), THEN it gets a ticket and its hash as before
    JsonObject older = sent.get(0).copy();
    older.remove("mintsTicket");
    JsonObject olderAnswer = BrokerWire.hub(BrokerOperations.LAUNCH, hub).apply(older).result();
    assertThat(olderAnswer.getString("ticket")).hasSizeGreaterThan(40);
    assertThat(olderAnswer.getString("ticketHash")).hasSize(64).isNotEqualTo(olderAnswer.getString("ticket"));
    assertThat(Placement.fromJson(olderAnswer)).isEqualTo(Placement.fromJson(answer));
  }

  @Test
  void anEnrolledButUnregisteredHostReadsAsNoView() {
    RelayedBroker stub = new RelayedBroker(wire(op -> BrokerWire.hub(op, hub)));

    Future<HostView> updated = stub.updateHost("h2", null, true);

    assertThat(updated.succeeded()).isTrue();
    assertThat(updated.result()).isNull();
  }

  @Test
  void theHubAloneAnswersSnapshotsAndTakeOversAndTheLeaderServesBrokeringOnly() {
    // GIVEN the hub's skeleton and the outage-mode leader's, over the same broker
    Function<String, Function<JsonObject, Future<JsonObject>>> atHub = op -> BrokerWire.hub(op, hub);
    Function<String, Function<JsonObject, Future<JsonObject>>> atLeader = op -> BrokerWire.leader(op, hub);

    // WHEN the node asks for the site model it has, and hands over sessions
    JsonObject snapshot = atHub.apply(BrokerOperations.SITE_SNAPSHOT).apply(new JsonObject().put("haveVersion", 3))
        .result();
    JsonObject adopted = atHub.apply(BrokerOperations.SESSIONS_ADOPT).apply(BrokerWire.adoptRequest(
        List.of(SESSION, SESSION))).result();

    // THEN the hub answers both; the leader knows brokering but neither these nor host reports
    assertThat(snapshot).isEqualTo(new JsonObject().put("unchanged", true));
    assertThat(adopted).isEqualTo(new JsonObject().put("adopted", 2));
    assertThat(hub.arguments).contains(3L);
    for (String op : List.of(BrokerOperations.SITE_SNAPSHOT, BrokerOperations.SESSIONS_ADOPT,
        BrokerOperations.HOSTS_REGISTER, BrokerOperations.HOSTS_HEARTBEAT, BrokerOperations.HOSTS_LOST,
        BrokerOperations.AGENT_COMMAND, "no.such.operation")) {
      assertThat(atLeader.apply(op)).as(op).isNull();
    }
    assertThat(atHub.apply("no.such.operation")).isNull();
    assertThat(atLeader.apply(BrokerOperations.SESSIONS_LIST)).isNotNull();
  }

  @Test
  void aBodyThatCannotBeDecodedFailsTheAnswerWithA400AndNeverThrows() {
    record Case(String op, JsonObject body, String detail) {
    }
    for (Case c : List.of(
        new Case(BrokerOperations.LAUNCH, new JsonObject().put("resource", "ssh"), "user is required"),
        new Case(BrokerOperations.LAUNCH, BrokerWire.resourcesRequest(ALICE), "resource is required"),
        new Case(BrokerOperations.SESSIONS_LOGOFF, new JsonObject(), "sessionId is required"),
        new Case(BrokerOperations.SESSIONS_STATE, BrokerWire.disconnectRequest("s1").put("state", "asleep"),
            "state must be one of"),
        new Case(BrokerOperations.HOSTS_UPDATE, new JsonObject().put("hostId", 7), "hostId is required"))) {
      Future<JsonObject> answer = BrokerWire.leader(c.op(), hub).apply(c.body());
      assertThat(answer.failed()).as(c.op()).isTrue();
      assertThat(answer.cause()).isInstanceOf(ClientErrorException.class).hasMessageContaining(c.detail());
      assertThat(((OutpostException) answer.cause()).status()).isEqualTo(400);
    }
    assertThat(hub.calls).isEmpty();
  }
}
