package dev.outpost.broker.impl;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.outpost.broker.BrokerModels.Heartbeat;
import dev.outpost.broker.BrokerModels.HostLost;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.broker.BrokerModels.HostReport;
import dev.outpost.broker.BrokerModels.SessionView;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.OutpostException;
import dev.outpost.error.ProblemReplies;
import dev.outpost.error.ServerErrorException;
import dev.outpost.relay.Requests;
import dev.outpost.wire.SchemaVersion;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outage mode across the appliances of one cluster: while the hub cannot be reached, the cluster's leader (its
 * oldest member) places every session, so that two nodes never over-fill a host; the other nodes relay their
 * brokering to it over the clustered event bus. Host reports and session changes are published to every node, so
 * each node's standby {@link LocalBroker} knows all hosts and placements and the next oldest node can lead when
 * the leader dies. Event-bus payloads are the JSON forms of the broker models (schema {@link #VERSION}).
 */
public final class ClusterBrokering implements Requests {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterBrokering.class);
  /** Schema version of the event-bus payloads below. */
  public static final int VERSION = 1;
  /** Point-to-point, plus the node id: {@code {v, op, body}}, answered by {@link BrokerWire} as the hub answers. */
  public static final String BROKER_ADDRESS = "outpost.lhc.broker.";
  /** Published: {@code {v, origin, kind: register|heartbeat|lost, body}}. */
  public static final String HOSTS_ADDRESS = "outpost.lhc.hosts";
  /** Published: {@code {v, origin, session}}. */
  public static final String SESSIONS_ADDRESS = "outpost.lhc.sessions";
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final String INTERNAL = "the leading appliance could not broker";
  /** The kinds of published host reports. */
  private static final String REGISTER = "register";
  private static final String HEARTBEAT = "heartbeat";
  private static final String LOST = "lost";

  private final Vertx vertx;
  private final HazelcastInstance hazelcast;
  private final LocalBroker local;
  private final String nodeId;
  private final int minMembers;
  /**
   * While this node leads: the sessions kept in the cluster, taken over before it places anything (a leader that
   * died kept its placements there). Cleared when the membership changes, so that a node that leads anew reads them.
   */
  private final AtomicReference<Future<Integer>> takenOver = new AtomicReference<>();

  /**
   * @param minMembers {@code cluster.min-members}: below it this node may be cut off from the others (split
   *     brain), and it must not place sessions alone, since the other half may elect a leader of its own
   */
  public ClusterBrokering(Vertx vertx, HazelcastInstance hazelcast, LocalBroker local, String nodeId,
      int minMembers) {
    this.vertx = Objects.requireNonNull(vertx);
    this.hazelcast = Objects.requireNonNull(hazelcast);
    this.local = Objects.requireNonNull(local);
    this.nodeId = Objects.requireNonNull(nodeId);
    this.minMembers = minMembers;
  }

  /** Starts answering brokering requests and applying the other nodes' reports. */
  public ClusterBrokering start() {
    vertx.eventBus().<JsonObject>consumer(BROKER_ADDRESS + nodeId, this::serve);
    vertx.eventBus().<JsonObject>consumer(HOSTS_ADDRESS, this::hostReport);
    vertx.eventBus().<JsonObject>consumer(SESSIONS_ADDRESS, message -> {
      JsonObject body = message.body();
      if (!readable(body)) {
        return;
      }
      if (!nodeId.equals(body.getString("origin")) && body.getJsonObject("session") != null) {
        local.mirror(SessionView.fromJson(body.getJsonObject("session")))
            .onFailure(e -> LOG.debug("Could not mirror a session from {}: {}", body.getString("origin"),
                e.getMessage()));
      }
    });
    local.announceTo(this::publish);
    hazelcast.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        takenOver.set(null);
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        takenOver.set(null);
      }
    });
    return this;
  }

  /** This node's id: hosts linked here register under it, and its reports carry it as their origin. */
  public String nodeId() {
    return nodeId;
  }

  /** The node id of the cluster's leader: the oldest member. */
  public String leader() {
    for (Member member : hazelcast.getCluster().getMembers()) {
      String node = member.getAttribute("outpost.node");
      return node == null ? nodeId : node;
    }
    return nodeId;
  }

  public boolean leading() {
    return nodeId.equals(leader());
  }

  /** Sends a brokering request to the leader's local broker (this node's own when it leads). */
  @Override
  public Future<JsonObject> request(String op, JsonObject body) {
    int members = hazelcast.getCluster().getMembers().size();
    if (members < minMembers) {
      return Future.failedFuture(ServerErrorException.unavailable("this appliance sees " + members + " of the "
          + minMembers + " cluster members it needs to broker without the hub (cluster.min-members): it may be cut "
          + "off from the others; use another appliance"));
    }
    String leader = leader();
    if (leader.equals(nodeId)) {
      Function<JsonObject, Future<JsonObject>> handler = BrokerWire.leader(op, local);
      return handler == null ? Future.failedFuture(ClientErrorException.notFound("unknown operation " + op))
          : leading(handler, body);
    }
    return vertx.eventBus().<JsonObject>request(BROKER_ADDRESS + leader, SchemaVersion.stamp(new JsonObject(), VERSION)
            .put("op", op).put("body", body), new DeliveryOptions().setSendTimeout(TIMEOUT.toMillis()))
        .map(Message::body)
        .recover(e -> Future.failedFuture(problem(leader, e)));
  }

  /** Tells every node of a host report this node received from one of its agents. */
  public void publishHost(HostReport report) {
    vertx.eventBus().publish(HOSTS_ADDRESS, SchemaVersion.stamp(new JsonObject(), VERSION).put("origin", nodeId)
        .put("kind", kind(report)).put("body", body(report)));
  }

  private static String kind(HostReport report) {
    if (report instanceof HostRegistration) {
      return REGISTER;
    }
    return report instanceof Heartbeat ? HEARTBEAT : LOST;
  }

  private static JsonObject body(HostReport report) {
    if (report instanceof HostRegistration registration) {
      return registration.toJson();
    }
    return report instanceof Heartbeat heartbeat ? heartbeat.toJson() : ((HostLost) report).toJson();
  }

  /** Mirrors a placement the hub made through this node, here and on every node. */
  public void mirror(SessionView session) {
    local.mirror(session);
    publish(session);
  }

  private void publish(SessionView session) {
    vertx.eventBus().publish(SESSIONS_ADDRESS, SchemaVersion.stamp(new JsonObject(), VERSION).put("origin", nodeId)
        .put("session", session.toJson()));
  }

  private void serve(Message<JsonObject> message) {
    JsonObject request = message.body();
    Optional<String> refused = SchemaVersion.refusal(request, VERSION, "cluster brokering");
    if (refused.isPresent()) {
      ProblemReplies.fail(message, ClientErrorException.badRequest(refused.get()), INTERNAL);
      return;
    }
    Function<JsonObject, Future<JsonObject>> handler = BrokerWire.leader(request.getString("op", ""), local);
    if (handler == null) {
      ProblemReplies.fail(message, ClientErrorException.notFound("unknown operation " + request.getString("op")),
          INTERNAL);
      return;
    }
    leading(handler, request.getJsonObject("body", new JsonObject()))
        .onSuccess(message::reply)
        .onFailure(e -> ProblemReplies.fail(message, e, INTERNAL));
  }

  /** Serves a request as the leader, once the sessions kept in the cluster are taken over. */
  private Future<JsonObject> leading(Function<JsonObject, Future<JsonObject>> handler, JsonObject body) {
    Future<Integer> current = takenOver.get();
    if (current == null || current.failed()) {
      Future<Integer> loading = local.takeOverKept();
      if (takenOver.compareAndSet(current, loading)) {
        loading.onSuccess(count -> LOG.atInfo().addKeyValue("sessions", count)
            .log("Leading outage-mode brokering with the {} session(s) the cluster keeps", count));
      }
      // another request started (or the membership reset) the take-over meanwhile: this one's reading serves too
      current = loading;
    }
    return current.recover(e -> Future.failedFuture(ServerErrorException.unavailable("this appliance leads the "
        + "cluster but cannot read the placements it keeps (" + e.getMessage() + "); try again", e)))
        .compose(v -> handler.apply(body));
  }

  private void hostReport(Message<JsonObject> message) {
    JsonObject report = message.body();
    if (!readable(report) || nodeId.equals(report.getString("origin"))) {
      return; // applied locally already
    }
    String origin = report.getString("origin", "");
    JsonObject body = report.getJsonObject("body", new JsonObject());
    Future<?> applied;
    try {
      applied = switch (report.getString("kind", "")) {
        case REGISTER -> local.registered(HostRegistration.fromJson(body));
        // a heartbeat of a host this node has not heard register yet: its next registration counts
        case HEARTBEAT -> local.heartbeat(Heartbeat.fromJson(body))
            .recover(e -> e instanceof ClientErrorException ? Future.succeededFuture() : Future.failedFuture(e));
        case LOST -> {
          HostLost lost = HostLost.fromJson(body);
          yield local.lostThrough(lost.hostId(), origin, lost.reason());
        }
        default -> Future.succeededFuture();
      };
    } catch (RuntimeException e) {
      LOG.warn("Dropping a host report from {} that cannot be read: {}", origin, e.getMessage());
      return;
    }
    applied.onFailure(e -> LOG.debug("Could not apply a host report from {}: {}", origin, e.getMessage()));
  }

  /** Whether a published report is of a major version this node reads; logs the ones it must drop. */
  public static boolean readable(JsonObject published) {
    Optional<String> refused = SchemaVersion.refusal(published, VERSION, "cluster brokering");
    refused.ifPresent(reason -> LOG.warn("Dropping a report from {}: {}", published.getString("origin"), reason));
    return refused.isEmpty();
  }

  private static OutpostException problem(String leader, Throwable e) {
    return ProblemReplies.read(e).orElseGet(() -> ServerErrorException.unavailable("the cluster's leading appliance "
        + leader + " does not answer (" + e.getMessage() + "); try again", e));
  }
}
