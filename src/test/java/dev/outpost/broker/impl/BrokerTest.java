package dev.outpost.broker.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SessionState;
import dev.outpost.broker.SiteModel;
import dev.outpost.broker.SiteModelJson;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.testing.TestClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BrokerTest {

  static final SiteModel.Pool POOL = new SiteModel.Pool("p1", "linux", 2, "default");
  static final SiteModel.Pool OTHER_POOL = new SiteModel.Pool("p2", "windows", 5, "default");
  static final SiteModel.Resource SSH = new SiteModel.Resource("r1", "ssh", "Linux shell", "p1", "desktop", 22, "ssh");
  static final SiteModel.Resource RDP = new SiteModel.Resource("r2", "rdp", "", "p2", "desktop", 3389, "");
  static final SiteModel.Resource SECRET = new SiteModel.Resource("r3", "secret", "", "p1", "app", 8080, "");

  final TestClock clock = new TestClock();
  final List<SessionView> changes = new ArrayList<>();
  final Map<String, UserRef> users = new HashMap<>();
  Broker broker;

  @BeforeEach
  void site() {
    Map<String, Set<String>> usersEntitled = new HashMap<>();
    List<String> ids = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      users.put("u" + i, new UserRef("u" + i, "user" + i));
      ids.add("u" + i);
    }
    usersEntitled.put("r1", Set.copyOf(ids));
    usersEntitled.put("r2", Set.of("u1"));
    SiteModel model = new SiteModel(1, Map.of("p1", POOL, "p2", OTHER_POOL),
        Map.of("r1", SSH, "r2", RDP, "r3", SECRET),
        Map.of("u8", Set.of("admins")), usersEntitled, Map.of("r3", Set.of("admins")));
    broker = new Broker(() -> model, new Broker.Settings(Duration.ofSeconds(100), Duration.ofSeconds(10), 3,
        Duration.ofMinutes(2)), clock, changes::add);
  }

  void register(String id, String pool, Map<Integer, Boolean> services) {
    broker.register(new HostRegistration(id, "host-" + id, pool, "10.0.0." + id.substring(1), "node-a", services, 0.1,
        List.of()), false, false);
  }

  @Test
  void launchesSpreadEvenlyAndStopAtCapacity() {
    // GIVEN three hosts of a pool that allows 2 sessions per host
    register("h1", "p1", Map.of(22, true));
    register("h2", "p1", Map.of(22, true));
    register("h3", "p1", Map.of(22, true));

    // WHEN six users launch
    List<Placement> launches = new ArrayList<>();
    for (int i = 1; i <= 6; i++) {
      launches.add(broker.place(users.get("u" + i), "ssh"));
    }

    // THEN every host has exactly two, and the seventh user is refused with 409
    Map<String, Long> perHost = launches.stream().collect(Collectors.groupingBy(l -> l.session().hostId(),
        Collectors.counting()));
    assertThat(perHost).containsOnly(Map.entry("h1", 2L), Map.entry("h2", 2L), Map.entry("h3", 2L));
    assertThatThrownBy(() -> broker.place(users.get("u7"), "ssh"))
        .isInstanceOf(ClientErrorException.class)
        .hasMessageContaining("at capacity")
        .satisfies(e -> assertThat(((ClientErrorException) e).status()).isEqualTo(409));
    assertThat(broker.hosts()).extracting(HostView::sessions).containsOnly(2);
    assertThat(changes).hasSize(6);
  }

  @Test
  void aPlacementCarriesTheResourcesLaunchHintOverTheWireAndNoTicket() {
    register("h1", "p1", Map.of(22, true));
    Placement launch = broker.place(users.get("u1"), "ssh");

    // the store needs no second request for the hint; an older broker's answer without it reads as unknown
    assertThat(launch.launchHint()).isEqualTo("ssh");
    assertThat(Placement.fromJson(launch.toJson())).isEqualTo(launch);
    assertThat(launch.toJson().fieldNames()).doesNotContain("ticket", "ticketHash");
    assertThat(launch.expiresAt()).isEqualTo(clock.instant().plusSeconds(100));
    io.vertx.core.json.JsonObject older = launch.toJson();
    older.remove("launchHint");
    assertThat(Placement.fromJson(older).launchHint()).isNull();
  }

  @Test
  void aUserWithAnOpenSessionGetsTheSameSessionAndHost() {
    register("h1", "p1", Map.of(22, true));
    register("h2", "p1", Map.of(22, true));
    Placement first = broker.place(users.get("u1"), "ssh");

    Placement again = broker.place(users.get("u1"), "r1");

    assertThat(again.reconnected()).isTrue();
    assertThat(again.session().id()).isEqualTo(first.session().id());
    assertThat(again.session().hostId()).isEqualTo(first.session().hostId());
    assertThat(broker.hosts()).extracting(HostView::sessions).containsExactlyInAnyOrder(1, 0);
  }

  @Test
  void drainingMaintenanceAndDownServicesAreNeverChosen() {
    register("h1", "p1", Map.of(22, true));
    register("h2", "p1", Map.of(22, false));
    register("h3", "p1", Map.of(22, true));
    broker.setDraining("h1", true);

    Placement launch = broker.place(users.get("u1"), "ssh");
    assertThat(launch.session().hostId()).isEqualTo("h3");

    broker.setMaintenance("h3", true);
    assertThatThrownBy(() -> broker.place(users.get("u2"), "ssh"))
        .isInstanceOf(ServerErrorException.class)
        .hasMessageContaining("port 22 is down");
    broker.heartbeat(new Heartbeat("h2", Map.of(22, true), 0.2, List.of()));
    assertThat(broker.place(users.get("u2"), "ssh").session().hostId()).isEqualTo("h2");
  }

  @Test
  void noRegisteredHostIsA503AndEnumerationSaysWhy() {
    assertThatThrownBy(() -> broker.place(users.get("u1"), "ssh"))
        .isInstanceOf(ServerErrorException.class)
        .hasMessage("no session host of pool 'linux' is registered");

    List<ResourceView> views = broker.enumerate(users.get("u1"));
    assertThat(views).extracting(v -> v.resource().name()).containsExactly("rdp", "ssh");
    assertThat(views).allSatisfy(v -> assertThat(v.available()).isFalse());
  }

  @Test
  void onlyEntitledResourcesAreListedAndLaunchable() {
    register("h1", "p1", Map.of(22, true, 8080, true));

    assertThat(broker.enumerate(users.get("u2"))).extracting(v -> v.resource().name()).containsExactly("ssh");
    assertThat(broker.enumerate(users.get("u8"))).extracting(v -> v.resource().name())
        .as("through the admins group").containsExactly("secret", "ssh");
    assertThatThrownBy(() -> broker.place(users.get("u2"), "secret"))
        .isInstanceOf(ClientErrorException.class)
        .satisfies(e -> assertThat(((ClientErrorException) e).status()).isEqualTo(404));
    assertThatThrownBy(() -> broker.place(users.get("u2"), "does-not-exist")).hasMessageContaining("no resource");
    assertThat(broker.place(users.get("u8"), "secret").session().port()).isEqualTo(8080);
  }

  @Test
  void aHostSilentForThreeIntervalsIsLostWithItsSessions() {
    register("h1", "p1", Map.of(22, true));
    register("h2", "p1", Map.of(22, true));
    Placement onH1 = broker.place(users.get("u1"), "ssh");
    String silent = onH1.session().hostId();
    String alive = silent.equals("h1") ? "h2" : "h1";

    clock.advance(Duration.ofSeconds(20));
    broker.heartbeat(new Heartbeat(alive, Map.of(22, true), 0.1, List.of()));
    assertThat(broker.expireSilentHosts()).isEmpty();
    clock.advance(Duration.ofSeconds(11));

    assertThat(broker.expireSilentHosts()).containsExactly(silent);
    assertThat(broker.session(onH1.session().id())).get().extracting(SessionView::state).isEqualTo(SessionState.ENDED);
    assertThat(broker.session(onH1.session().id()).get().endReason()).startsWith("host lost");
    assertThat(broker.place(users.get("u1"), "ssh").session().hostId()).isEqualTo(alive);
    assertThatThrownBy(() -> broker.heartbeat(new Heartbeat(silent, Map.of(), 0, List.of())))
        .hasMessageContaining("register again");
  }

  @Test
  void hostsOfALocationWhoseAppliancesWereNotReportingAgeOutOnlyFromTheirReturn() {
    // GIVEN a location whose appliances report, with two hosts and a session on each
    LocationContact contact = new LocationContact(clock, Duration.ofSeconds(30));
    contact.heard();
    register("h1", "p1", Map.of(22, true));
    register("h2", "p1", Map.of(22, true));
    String first = broker.place(users.get("u1"), "ssh").session().id();
    String second = broker.place(users.get("u2"), "ssh").session().id();

    // WHEN no appliance reports for 45 s (the hub was frozen, or the location brokered alone)
    clock.advance(Duration.ofSeconds(45));

    // THEN the location counts as cut off, and its hosts stay with their sessions
    assertThat(contact.linked()).isFalse();
    assertThat(broker.hosts()).hasSize(2);

    // WHEN the appliances report again, and only h1 is heard of afterwards
    assertThat(contact.heard()).isEqualTo(Duration.ofSeconds(45));
    broker.heartbeat(new Heartbeat("h1", Map.of(22, true), 0.1, List.of()));

    // THEN nothing ages out within three intervals of the return, although both were silent for longer before
    clock.advance(Duration.ofSeconds(29));
    contact.heard();
    broker.heartbeat(new Heartbeat("h1", Map.of(22, true), 0.1, List.of()));
    assertThat(broker.expireSilentHosts(contact.reportingSince())).isEmpty();
    assertThat(broker.session(first).get().state().open()).isTrue();
    assertThat(broker.session(second).get().state().open()).isTrue();

    // AND h2, still silent three intervals after the return, is lost then, h1 is not
    clock.advance(Duration.ofSeconds(2));
    contact.heard();
    assertThat(contact.linked()).isTrue();
    assertThat(broker.expireSilentHosts(contact.reportingSince())).containsExactly("h2");
    List<String> open = broker.sessions(s -> s.state().open()).stream().map(SessionView::hostId).toList();
    assertThat(open).containsExactly("h1");
  }

  @Test
  void aLostLinkReportedByAnotherNodeThanTheHostsOwnEndsNothing() {
    // GIVEN a host with a session, registered through node-a, whose agent then moved to node-b
    register("h1", "p1", Map.of(22, true));
    Placement launch = broker.place(users.get("u1"), "ssh");
    broker.register(new HostRegistration("h1", "host-h1", "p1", "10.0.0.1", "node-b", Map.of(22, true), 0.1,
        List.of(launch.session().id())), false, false);

    // WHEN node-a reports the old link lost, late
    // THEN the host and its session stay; node-b's report counts
    assertThat(broker.lostThrough("h1", "node-a", "agent link lost")).isFalse();
    assertThat(broker.session(launch.session().id())).get().extracting(SessionView::state)
        .isNotEqualTo(SessionState.ENDED);
    assertThat(broker.lostThrough("h1", "node-b", "agent link lost")).isTrue();
    assertThat(broker.session(launch.session().id())).get().extracting(SessionView::state)
        .isEqualTo(SessionState.ENDED);
  }

  @Test
  void sessionsThatNeverConnectAreReclaimedAfterTheTicketAndGrace() {
    register("h1", "p1", Map.of(22, true));
    Placement launch = broker.place(users.get("u1"), "ssh");
    Placement connected = broker.place(users.get("u2"), "ssh");
    broker.markState(connected.session().id(), SessionState.CONNECTED);

    clock.advance(Duration.ofSeconds(100 + 120 + 1));
    broker.heartbeat(new Heartbeat("h1", Map.of(22, true), 0.1, List.of()));

    assertThat(broker.sweep(Duration.ofHours(1))).isEqualTo(1);
    assertThat(broker.session(launch.session().id()).get().state()).isEqualTo(SessionState.ENDED);
    assertThat(broker.session(connected.session().id()).get().state()).isEqualTo(SessionState.CONNECTED);
    assertThat(broker.hosts().get(0).sessions()).isEqualTo(1);
  }

  @Test
  void sessionsCanBeListedFilteredAndEnded() {
    register("h1", "p1", Map.of(22, true, 3389, true));
    register("h9", "p2", Map.of(3389, true));
    Placement a = broker.place(users.get("u1"), "ssh");
    broker.place(users.get("u1"), "rdp");
    broker.place(users.get("u2"), "ssh");

    Function<String, List<SessionView>> byUser = u -> broker.sessions(s -> s.userId().equals(u));
    assertThat(byUser.apply("u1")).hasSize(2);
    assertThat(broker.end(a.session().id(), "logged off").state()).isEqualTo(SessionState.ENDED);
    assertThat(broker.sessions(s -> s.state().open())).hasSize(2);
    assertThat(broker.place(users.get("u1"), "ssh").reconnected()).as("an ended session is not reused").isFalse();
  }

  @Test
  void adoptedSessionsCountTowardsCapacityAndAdoptingTwiceChangesNothing() {
    // GIVEN a session placed by another broker (an appliance brokering alone) on a host this broker has not seen
    Broker other = new Broker(this::siteModel, Broker.Settings.defaults(), clock, s -> { });
    other.register(new HostRegistration("h1", "host-h1", "p1", "10.0.0.1", "node-b", Map.of(22, true), 0.1, List.of()),
        false, false);
    SessionView placed = other.place(users.get("u1"), "ssh").session();

    // WHEN this broker adopts it, twice
    SessionView adopted = broker.adopt(placed, "node-b");
    broker.adopt(placed, "node-b");

    // THEN it is known once, its host exists with that one session, and the host fills up at capacity (2)
    assertThat(adopted.id()).isEqualTo(placed.id());
    assertThat(broker.sessions(s -> true)).hasSize(1);
    assertThat(broker.host("h1")).get().extracting(HostView::sessions).isEqualTo(1);
    assertThat(broker.place(users.get("u2"), "ssh").session().hostId()).isEqualTo("h1");
    assertThatThrownBy(() -> broker.place(users.get("u3"), "ssh")).isInstanceOf(ClientErrorException.class)
        .hasMessageContaining("capacity");

    // AND the owner reconnects to the adopted session; an adopted end frees the slot
    assertThat(broker.place(users.get("u1"), "ssh").reconnected()).isTrue();
    broker.adopt(other.end(placed.id(), "logged off"), "node-b");
    assertThat(broker.host("h1")).get().extracting(HostView::sessions).isEqualTo(1);
    assertThat(broker.place(users.get("u3"), "ssh").session().hostId()).isEqualTo("h1");
  }

  @Test
  void theSiteModelSurvivesItsWireForm() {
    SiteModel model = siteModel();
    assertThat(SiteModelJson.fromJson(new io.vertx.core.json.JsonObject(SiteModelJson.toJson(model).encode())))
        .isEqualTo(model);
  }

  private SiteModel siteModel() {
    return new SiteModel(7, Map.of("p1", POOL, "p2", OTHER_POOL), Map.of("r1", SSH, "r2", RDP, "r3", SECRET),
        Map.of("u8", Set.of("admins")), Map.of("r1", Set.of("u1", "u2", "u3"), "r2", Set.of("u1")),
        Map.of("r3", Set.of("admins")), Map.of("r2", Set.of("cn=staff,dc=example,dc=org")));
  }
}
