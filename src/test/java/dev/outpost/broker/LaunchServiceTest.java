package dev.outpost.broker;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.map.IMap;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostView;
import dev.outpost.broker.BrokerModels.Placement;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.LaunchService.Launch;
import dev.outpost.broker.impl.Broker;
import dev.outpost.broker.impl.LocalBroker;
import dev.outpost.cluster.SealedMap;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import dev.outpost.gateway.TicketStore;
import dev.outpost.testing.ClusterNode;
import dev.outpost.testing.FreePorts;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Launches on the appliance: a real local broker places the session, {@link LaunchService} mints the ticket on this
 * node and stores its hash in the cluster's ticket store of a real (one-member) cluster, where a gateway consumes it.
 */
class LaunchServiceTest {

  static final SiteModel.Resource SSH = new SiteModel.Resource("r1", "ssh", "Shell", "p1", "desktop", 22, "ssh");
  static final SiteModel MODEL = new SiteModel(1, Map.of("p1", new SiteModel.Pool("p1", "linux", 4, "default")),
      Map.of("r1", SSH), Map.of(), Map.of("r1", Set.of("u1")), Map.of());
  static final UserRef ALICE = new UserRef("u1", "alice");

  static ClusterNode node;
  static LocalBroker broker;
  static TicketStore tickets;

  @BeforeAll
  static void site() throws Exception {
    int[] ports = {FreePorts.next()};
    node = ClusterNode.start("launch-test-" + ports[0], "launch-test-cluster-secret", ports, 0);
    broker = new LocalBroker(() -> MODEL, Broker.Settings.defaults(), Clock.systemUTC(), (host, command) -> { });
    await(node.vertx().deployVerticle(broker));
    await(broker.registered(new HostRegistration("h1", "host-1", "p1", "10.0.0.5", "node-0", Map.of(22, true), 0.1,
        List.of())));
    tickets = new TicketStore(node.vertx(), SealedMap.of(node.hazelcast(), TicketStore.MAP_NAME,
        node.seal()));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void eachLaunchMintsAFreshTicketHereAndTheClusterKeepsOnlyItsHashUntilAGatewayUsesIt() throws Exception {
    // GIVEN the launch service over the broker and the cluster's ticket store
    LaunchService launches = new LaunchService(broker, tickets);
    IMap<String, String> stored = node.hazelcast().getMap(TicketStore.MAP_NAME);
    int before = stored.size();

    // WHEN alice launches, then launches again while her session is open
    Launch first = await(launches.launch(ALICE, "ssh"));
    Launch again = await(launches.launch(ALICE, "ssh"));

    // THEN she reconnects to the same session with a new ticket, and the store holds the two hashes, not the tickets
    assertThat(again.reconnected()).isTrue();
    assertThat(again.session().id()).isEqualTo(first.session().id());
    assertThat(again.ticket()).isNotEqualTo(first.ticket());
    assertThat(first.launchHint()).isEqualTo("ssh");
    assertThat(stored.size()).isEqualTo(before + 2);
    assertThat(stored.keySet()).contains(SecureTokens.hash(first.ticket()), SecureTokens.hash(again.ticket()))
        .doesNotContain(first.ticket(), again.ticket());
    assertThat(stored.values()).noneMatch(sealed -> sealed.contains(first.ticket()));

    // AND a gateway consumes a ticket once, for the placed session on its host until the placement's expiry
    TicketStore.Ticket used = await(tickets.consume(first.ticket()));
    assertThat(used).isEqualTo(new TicketStore.Ticket(first.session().id(), "u1", "h1", "10.0.0.5", 22,
        first.expiresAt(), "", false, "alice"));
    assertThat(failure(tickets.consume(first.ticket()))).isInstanceOf(GatewayRefusal.class)
        .satisfies(e -> assertThat(((GatewayRefusal) e).gatewayStatus()).isEqualTo(GatewayStatus.UNKNOWN_TICKET));
  }

  @Test
  void aPlacementFromABrokerThatSendsNoLaunchHintTakesItFromTheUsersResources() throws Exception {
    // GIVEN a broker of an older version, whose placements carry no launch hint
    LaunchService launches = new LaunchService(new WithoutHints(broker), tickets);

    // WHEN alice launches
    Launch launch = await(launches.launch(ALICE, "ssh"));

    // THEN the hint comes from her resource list
    assertThat(launch.launchHint()).isEqualTo("ssh");
  }

  @Test
  void aRefusedPlacementIssuesNoTicket() throws Exception {
    // GIVEN a user entitled to nothing
    IMap<String, String> stored = node.hazelcast().getMap(TicketStore.MAP_NAME);
    int before = stored.size();

    // WHEN he launches, THEN the broker's 404 is the answer and nothing was stored
    Throwable refused = failure(new LaunchService(broker, tickets).launch(new UserRef("u9", "mallory"), "ssh"));
    assertThat(refused).hasMessageContaining("no resource 'ssh' is published to mallory");
    assertThat(stored.size()).isEqualTo(before);
  }

  /** Places as the broker does, but answers as a broker of the previous version: without the launch hint. */
  record WithoutHints(BrokerClient broker) implements BrokerClient {
    @Override
    public Future<Placement> place(UserRef user, String resource) {
      return broker.place(user, resource).map(p -> new Placement(p.session(), p.expiresAt(), p.reconnected(), null));
    }

    @Override
    public Future<List<ResourceView>> resources(UserRef user) {
      return broker.resources(user);
    }

    @Override
    public Future<List<SessionView>> sessions(SessionQuery query) {
      return broker.sessions(query);
    }

    @Override
    public Future<SessionView> logoff(String sessionId, String reason) {
      return broker.logoff(sessionId, reason);
    }

    @Override
    public Future<SessionView> disconnect(String sessionId) {
      return broker.disconnect(sessionId);
    }

    @Override
    public Future<SessionView> markState(String sessionId, SessionState state) {
      return broker.markState(sessionId, state);
    }

    @Override
    public Future<List<HostView>> hosts() {
      return broker.hosts();
    }

    @Override
    public Future<HostView> updateHost(String hostId, Boolean draining, Boolean maintenance) {
      return broker.updateHost(hostId, draining, maintenance);
    }
  }

  private static Throwable failure(Future<?> future) throws Exception {
    try {
      await(future);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure");
  }
}
