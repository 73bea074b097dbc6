package dev.outpost.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SiteModel;
import dev.outpost.broker.SiteModelJson;
import dev.outpost.cluster.ClusterView;
import dev.outpost.gateway.RendezvousProtocol;
import dev.outpost.gateway.TicketStore;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.identity.Principal;
import dev.outpost.identity.Role;
import dev.outpost.lease.Lease;
import dev.outpost.lease.Revocation;
import dev.outpost.lease.impl.IssueRequest;
import dev.outpost.broker.impl.ClusterBrokering;
import dev.outpost.relay.TunnelProtocol;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every reader of versioned wire messages and cluster data follows {@link SchemaVersion}'s rule, so that nodes of
 * versions N and N+1 can share a cluster: a message of a higher minor version with fields the reader does not know
 * reads the same as the original, one without a version reads as version 1, and one of another major is refused.
 */
class SchemaVersionTest {

  private static final Instant NOW = Instant.parse("2026-12-06T05:00:00Z");

  /** (name, a message as its writer writes it, the reader: returns what it read or throws to refuse). */
  static Stream<Arguments> readers() {
    return Stream.of(
        reader("agent-link message", AgentLinkProtocol.message(AgentLinkProtocol.HEARTBEAT).put("load", 0.5),
            refusing(AgentLinkProtocol::refusal)),
        reader("hub tunnel message", TunnelProtocol.message(TunnelProtocol.PING).put("seq", 7),
            refusing(TunnelProtocol::refusal)),
        reader("rendezvous open", RendezvousProtocol.message().put("ticket", "T").put("rendezvous", "R"),
            refusing(RendezvousProtocol::refusal)),
        reader("launch ticket", new TicketStore.Ticket("s1", "u1", "h1", "10.0.0.5", 22, NOW).toJson(),
            TicketStore.Ticket::fromJson),
        reader("sign-in session", new Principal("s1", "u1", "alice", "Alice", Set.of(Role.ADMIN), "csrf", NOW,
            NOW.plusSeconds(3600)).toJson(), Principal::fromJson),
        reader("host registration", new HostRegistration("h1", "host-1", "p1", "10.0.0.5", "node-1",
            Map.of(22, true), 0.25, List.of("s1")).toJson(), HostRegistration::fromJson),
        reader("heartbeat", new Heartbeat("h1", Map.of(22, false), 1.5, List.of()).toJson(), Heartbeat::fromJson),
        reader("site model", SiteModelJson.toJson(new SiteModel(3, Map.of("p1", new SiteModel.Pool("p1", "linux", 4,
            "site-a")), Map.of(), Map.of(), Map.of(), Map.of())), SiteModelJson::fromJson),
        reader("lease revocation", new Revocation("r1", Revocation.Kind.USER, "u1", "u1", NOW, "left", "admin")
            .toJson(), Revocation::fromJson),
        reader("lease issue request", new IssueRequest("u1|d1", new UserRef("u1", "alice"), "d1",
            List.of(new Lease.Appliance("https://a:8443", "a:2598", "wss://a:8443/gateway", "ab")), null).toJson(),
            IssueRequest::fromJson),
        reader("cluster brokering report", SchemaVersion.stamp(new JsonObject(), ClusterBrokering.VERSION)
            .put("origin", "node-1").put("kind", "lost").put("body", new JsonObject().put("hostId", "h1")),
            message -> {
              if (!ClusterBrokering.readable(message)) {
                throw new SchemaVersion.UnreadableException("dropped");
              }
              return message.getString("kind");
            }),
        reader("node status", new JsonObject().put("v", ClusterView.STATUS_VERSION).put("health", "up")
            .put("mode", "hub").put("draining", false), message -> {
              JsonObject read = ClusterView.readStatus(message);
              if (read.containsKey("detail")) {
                throw new SchemaVersion.UnreadableException(read.getString("detail"));
              }
              return read.getString("health") + "/" + read.getString("mode");
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("readers")
  void aHigherMinorWithUnknownFieldsReadsTheSame(String name, JsonObject written, Function<JsonObject, Object> read) {
    // GIVEN a message of the next minor version with a field and an object this reader does not know
    JsonObject next = written.copy().put(SchemaVersion.MINOR_FIELD, 4).put("addedInNextMinor", "x")
        .put("anotherNewPart", new JsonObject().put("nested", new JsonArray().add(1)));

    // WHEN it is read THEN it reads as the message without them
    assertThat(read.apply(next)).isEqualTo(read.apply(written.copy()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("readers")
  void aMessageWithoutAVersionReadsAsVersionOne(String name, JsonObject written, Function<JsonObject, Object> read) {
    // GIVEN a message as written before versions were stamped
    JsonObject unstamped = written.copy();
    unstamped.remove(SchemaVersion.FIELD);

    // WHEN it is read THEN it reads as version 1
    assertThat(read.apply(unstamped)).isEqualTo(read.apply(written.copy()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("readers")
  void anotherMajorIsRefusedWithAReason(String name, JsonObject written, Function<JsonObject, Object> read) {
    // GIVEN the writer stamps major 1
    assertThat(written.getValue(SchemaVersion.FIELD)).isEqualTo(1);

    // WHEN a message of major 2 is read THEN it is refused rather than misread
    assertThatThrownBy(() -> read.apply(written.copy().put(SchemaVersion.FIELD, 2)))
        .isInstanceOf(SchemaVersion.UnreadableException.class);
  }

  @org.junit.jupiter.api.Test
  void theRefusalNamesBothVersions() {
    // GIVEN an agent-link message of major 2 WHEN a reader of major 1 looks at it THEN the reason says what to do
    Optional<String> refused = SchemaVersion.refusal(new JsonObject().put("v", 2), 1, "agent-link");
    assertThat(refused).hasValueSatisfying(reason -> assertThat(reason).contains("agent-link").contains("2")
        .contains("1.x").contains("upgrade"));
    assertThat(SchemaVersion.refusal(new JsonObject().put("v", "1"), 1, "agent-link")).isPresent();
    assertThat(SchemaVersion.refusal(new JsonObject().put("v", 1.5), 1, "agent-link")).isPresent();
  }

  private static Arguments reader(String name, JsonObject written, Function<JsonObject, Object> read) {
    return arguments(name, written, read);
  }

  /** A reader that only checks the version (the protocol's handlers ignore what they do not know). */
  private static Function<JsonObject, Object> refusing(Function<JsonObject, Optional<String>> refusal) {
    return message -> {
      refusal.apply(message).ifPresent(reason -> {
        throw new SchemaVersion.UnreadableException(reason);
      });
      JsonObject known = message.copy();
      known.remove(SchemaVersion.FIELD);
      known.remove(SchemaVersion.MINOR_FIELD);
      known.remove("addedInNextMinor");
      known.remove("anotherNewPart");
      return known;
    };
  }
}
