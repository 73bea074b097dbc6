package dev.outpost.hub;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.Failures;
import dev.outpost.error.OutpostException;
import dev.outpost.error.ProblemReplies;
import dev.outpost.error.ServerErrorException;
import dev.outpost.relay.HubChannel;
import dev.outpost.relay.Requests;
import dev.outpost.wire.SchemaVersion;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's authority (the hub role of a site without a separate hub: configuration answers, lease signing,
 * enrollment, primary brokering) on ONE node of the appliances that share {@code cluster.secret}, and the way
 * every node reaches it.
 *
 * <p>The authority is the cluster's oldest member while it sees at least {@code cluster.min-members} members; a
 * node that falls below that (the minority of a split) gives it up at once, and the next oldest member takes it
 * when the holder dies or leaves. Each term runs a new {@link HubRole} on the site's database; before it starts,
 * the node takes a PostgreSQL advisory lock on a connection it keeps for the term, so that with one shared
 * database two nodes never run the role at once (a dead holder's lock goes with its connection).
 *
 * <p>Requests go to the holder over the clustered event bus (mutual TLS between the site's nodes) at
 * {@code outpost.site.authority.<node>}, as {@code {v, op, node, body}}; what the role sends down to a node (agent
 * commands, directory tests) goes to {@code outpost.site.node.<node>}. On the holder itself requests run in
 * process. While no node holds it (a takeover in progress, or too few members) requests fail with 503 and a
 * detail that says why; callers retry.
 */
public final class SiteAuthority implements HubChannel {

  private static final Logger LOG = LoggerFactory.getLogger(SiteAuthority.class);
  /** Schema version of the event-bus payloads. */
  public static final int VERSION = 1;
  public static final String AUTHORITY_ADDRESS = "outpost.site.authority.";
  public static final String NODE_ADDRESS = "outpost.site.node.";
  /** Published by a node whose term began: {@code {v, node}}; every node then reports its hosts to it again. */
  public static final String TERMS_ADDRESS = "outpost.site.authority.terms";
  /** The advisory lock that fences the role on a shared database ("outpost site authority" as a 64-bit key). */
  static final long LOCK_KEY = 0x6f75_7470_6f73_7461L;
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final long CHECK_MS = 200;
  /** How often a term that lost its lock (the database went away) tries to take it again. */
  private static final long RELOCK_NANOS = Duration.ofSeconds(2).toNanos();
  private static final String INTERNAL = "the site's authority could not answer";

  /** What a term starts with, and what the node does when it gets the authority. */
  public interface Terms {
    /** A new hub role for a term (not yet started). */
    HubRole newRole();

    /**
     * Runs when this node is about to start a term, before it takes the site's lock in the database (a node whose
     * database is a standby promotes it here).
     */
    default Future<Void> beforeLock() {
      return Future.succeededFuture();
    }

    /** Runs once the role of a new term has started and before requests reach it. */
    Future<Void> began(HubRole role);

    /** Runs when this node gave the authority up (after the role stopped). */
    default void ended() {
    }

    /**
     * Runs on every node when a node (this one or another) began a term and its role answers: its broker knows
     * no host yet, so the node reports the hosts linked to it again.
     */
    default void holderChanged(String node) {
    }
  }

  private final Vertx vertx;
  private final HazelcastInstance member;
  private final Database db;
  private final String location;
  private final String nodeId;
  private final int minMembers;
  private final Function<String, Function<JsonObject, Future<JsonObject>>> down;
  private final Terms terms;
  private final Counter takeovers;
  private final List<MessageConsumer<JsonObject>> consumers = new ArrayList<>();
  private final Promise<Void> firstCheck = Promise.promise();
  /** Requests on their way to each holder: failed at once when that node leaves, rather than at their timeout. */
  private final Map<String, Set<Promise<JsonObject>>> inFlight = new ConcurrentHashMap<>();
  private UUID listener;
  private Context context;
  private long timer = -1;
  private volatile HubRole role;
  private SqlConnection fence;
  private boolean changing;
  private volatile boolean stopping;
  private long lastRelock;
  private volatile String waiting = "starting";
  private volatile Instant since = Instant.now();

  /**
   * @param minMembers {@code cluster.min-members}: the fewest members a node must see to hold the authority
   * @param down this node's own operations, for what the role sends down to it
   */
  public SiteAuthority(Vertx vertx, HazelcastInstance member, Database db, String location, String nodeId,
      int minMembers, Function<String, Function<JsonObject, Future<JsonObject>>> down, Terms terms,
      MeterRegistry metrics) {
    this.vertx = Objects.requireNonNull(vertx);
    this.member = Objects.requireNonNull(member);
    this.db = Objects.requireNonNull(db);
    this.location = Objects.requireNonNull(location);
    this.nodeId = Objects.requireNonNull(nodeId);
    this.minMembers = minMembers;
    this.down = Objects.requireNonNull(down);
    this.terms = Objects.requireNonNull(terms);
    this.takeovers = Counter.builder("outpost.site.authority.terms")
        .description("Times this node took the site's authority").register(metrics);
    Gauge.builder("outpost.site.authority", this, authority -> authority.holding() ? 1 : 0)
        .description("1 while this node holds the site's authority (runs its hub role), else 0").register(metrics);
  }

  /**
   * Starts answering on the event bus and watching who should hold the authority; completes once this node
   * either holds it or knows that another node should (so that a single-node site is ready on its first
   * request).
   */
  public Future<Void> start() {
    context = vertx.getOrCreateContext();
    consumers.add(vertx.eventBus().<JsonObject>consumer(AUTHORITY_ADDRESS + nodeId, this::serve));
    consumers.add(vertx.eventBus().<JsonObject>consumer(NODE_ADDRESS + nodeId, this::serveDown));
    consumers.add(vertx.eventBus().<JsonObject>consumer(TERMS_ADDRESS, message -> {
      if (SchemaVersion.refusal(message.body(), VERSION, "site authority").isEmpty()) {
        terms.holderChanged(message.body().getString("node", ""));
      }
    }));
    timer = vertx.setPeriodic(1, CHECK_MS, id -> check());
    listener = member.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        // nothing waits on a node that arrives
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        String gone = event.getMember().getAttribute("outpost.node");
        Set<Promise<JsonObject>> waiting = gone == null ? null : inFlight.remove(gone);
        if (waiting != null) {
          waiting.forEach(p -> p.tryFail(ServerErrorException.unavailable("node " + gone + ", which held the site's "
              + "authority, left the cluster before it answered; try again")));
        }
      }
    });
    return firstCheck.future();
  }

  /** Gives the authority up (if held) and stops answering; never fails. */
  public Future<Void> stop() {
    stopping = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    consumers.forEach(MessageConsumer::unregister);
    if (listener != null) {
      member.getCluster().removeMembershipListener(listener);
    }
    return stepDown("the node stops");
  }

  /** Whether this node holds the authority and its role runs. */
  public boolean holding() {
    HubRole current = role;
    return current != null && current.running();
  }

  /** The role of this node's term, while it holds the authority. */
  public Optional<HubRole> role() {
    HubRole current = role;
    return current != null && current.running() ? Optional.of(current) : Optional.empty();
  }

  /** The node id of the member that should hold the authority now, or empty below {@code cluster.min-members}. */
  public Optional<String> holder() {
    Set<Member> members = member.getCluster().getMembers();
    if (members.size() < minMembers) {
      return Optional.empty();
    }
    Iterator<Member> oldest = members.iterator();
    if (!oldest.hasNext()) {
      return Optional.empty();
    }
    String node = oldest.next().getAttribute("outpost.node");
    return Optional.of(node == null ? nodeId : node);
  }

  // ---- terms --------------------------------------------------------------------------------------

  private void check() {
    if (changing) {
      return;
    }
    Optional<String> holder = holder();
    boolean should = holder.isPresent() && holder.get().equals(nodeId);
    if (should && role == null) {
      changing = true;
      takeOver().onComplete(ar -> {
        changing = false;
        if (ar.failed()) {
          waiting = "this node could not take the site's authority: " + Failures.rootMessage(ar.cause());
          LOG.atWarn().log("This node could not take the site's authority yet: {}", Failures.rootMessage(ar.cause()));
        }
        firstCheck.tryComplete();
      });
    } else if (should && fence == null && !stopping && System.nanoTime() - lastRelock > RELOCK_NANOS) {
      lastRelock = System.nanoTime();
      relock();
    } else if (!should && role != null) {
      changing = true;
      stepDown(holder.isEmpty() ? "this node sees fewer than " + minMembers + " cluster members (cluster.min-members)"
          : "node " + holder.get() + " is now the cluster's oldest member")
          .onComplete(ar -> changing = false);
    } else {
      if (!should) {
        waiting = holder.map(node -> "node " + node + " holds the site's authority")
            .orElse("this node sees " + member.getCluster().getMembers().size() + " of the " + minMembers
                + " cluster members it needs (cluster.min-members)");
      }
      firstCheck.tryComplete();
    }
  }

  /** Fences the database, starts a new role and lets requests reach it. */
  private Future<Void> takeOver() {
    Instant began = Instant.now();
    return terms.beforeLock().compose(ready -> tryLock()).compose(taken -> taken ? Future.<Void>succeededFuture()
        : Future.<Void>failedFuture(ServerErrorException.unavailable("another node still holds the site's lock in the "
            + "database; it gives it up when it stops or falls into the minority"))).compose(v -> {
      HubRole next = terms.newRole();
      return next.start().compose(started -> terms.began(next)).map(next)
          .recover(e -> next.stop().transform(ignored -> Future.failedFuture(e)));
    }).onSuccess(next -> {
      role = next;
      since = Instant.now();
      takeovers.increment();
      vertx.eventBus().publish(TERMS_ADDRESS, SchemaVersion.stamp(new JsonObject(), VERSION).put("node", nodeId));
      LOG.atInfo().addKeyValue("ms", Duration.between(began, since).toMillis())
          .log("This node now holds the site's authority (configuration, lease signing, enrollment, brokering); "
              + "took {} ms", Duration.between(began, since).toMillis());
    }).onFailure(e -> unlock()).mapEmpty();
  }

  private Future<Void> stepDown(String why) {
    HubRole ending = role;
    if (ending == null) {
      return Future.succeededFuture();
    }
    role = null;
    since = Instant.now();
    // a clean stop is no event to warn of: the next node takes over as after any other leave
    (stopping ? LOG.atInfo() : LOG.atWarn()).log("This node gives up the site's authority: {}", why);
    return ending.stop().recover(e -> Future.succeededFuture()).onComplete(ar -> {
      unlock();
      terms.ended();
    }).mapEmpty();
  }

  /**
   * Takes the site's advisory lock on a connection kept for the term: {@code false} while another node's term holds
   * it on the same database; fails when the database cannot be reached. If that connection breaks later, the term
   * goes on without the lock until {@link #relock} takes it again.
   */
  private Future<Boolean> tryLock() {
    return db.pool().getConnection().compose(conn -> conn.preparedQuery("SELECT pg_try_advisory_lock($1) AS taken")
        .execute(Tuple.of(LOCK_KEY))
        .compose(rows -> {
          if (Boolean.TRUE.equals(rows.iterator().next().getBoolean("taken"))) {
            fence = conn;
            conn.closeHandler(v -> context.runOnContext(ignored -> fenceLost(conn)));
            return Future.succeededFuture(true);
          }
          return conn.close().transform(ignored -> Future.succeededFuture(false));
        }, e -> conn.close().transform(ignored -> Future.failedFuture(e))));
  }

  /**
   * The connection that holds the site's lock broke (the database restarts or cannot be reached): the term goes on,
   * since brokering must outlive the database, and the lock is taken again once the database answers. Only the
   * membership moves the authority; if another node took the lock meanwhile, this one gives it up then.
   */
  private void fenceLost(SqlConnection conn) {
    if (fence == conn && role != null) {
      fence = null;
      LOG.atWarn().log("The connection that holds the site's lock in the database was lost; this node keeps the "
          + "authority and takes the lock again when the database answers");
    }
  }

  /** Takes the lock again for a term that lost it; gives the term up if another node holds it now. */
  private void relock() {
    changing = true;
    tryLock().compose(taken -> {
      if (taken) {
        LOG.atInfo().log("This node holds the site's lock in the database again");
        return Future.<Void>succeededFuture();
      }
      return stepDown("another node holds the site's lock in the database");
    }).onComplete(ar -> changing = false); // the database still cannot be reached: the next check tries again
  }

  private void unlock() {
    SqlConnection held = fence;
    fence = null;
    if (held != null) {
      held.preparedQuery("SELECT pg_advisory_unlock($1)").execute(Tuple.of(LOCK_KEY))
          .onComplete(ar -> held.close());
    }
  }

  // ---- requests -----------------------------------------------------------------------------------

  @Override
  public Future<JsonObject> request(String op, JsonObject body) {
    Context callerContext = vertx.getOrCreateContext();
    HubRole local = role;
    Future<JsonObject> answer;
    if (local != null && local.running()) {
      answer = call(local, new HubOperations.Caller(location, nodeId, (o, b) -> toNode(nodeId, o, b)), op, body.copy())
          .map(JsonObject::copy);
    } else {
      Optional<String> holder = holder();
      if (holder.isEmpty()) {
        answer = Future.failedFuture(ServerErrorException.unavailable("no node holds the site's authority: "
            + waiting + "; try again"));
      } else if (holder.get().equals(nodeId)) {
        answer = Future.failedFuture(ServerErrorException.unavailable("this node is taking the site's authority ("
            + waiting + "); try again in a few seconds"));
      } else {
        String to = holder.get();
        Promise<JsonObject> pending = Promise.promise();
        inFlight.computeIfAbsent(to, node -> ConcurrentHashMap.newKeySet()).add(pending);
        vertx.eventBus().<JsonObject>request(AUTHORITY_ADDRESS + to, SchemaVersion.stamp(new JsonObject(),
                VERSION).put("op", op).put("node", nodeId).put("body", body),
                new DeliveryOptions().setSendTimeout(TIMEOUT.toMillis()))
            .map(Message::body)
            .recover(e -> Future.failedFuture(problem(to, e)))
            .onComplete(pending::tryComplete, pending::tryFail);
        answer = pending.future().onComplete(ar -> inFlight.getOrDefault(to, Set.of()).remove(pending));
      }
    }
    return Future.fromCompletionStage(answer.toCompletionStage(), callerContext);
  }

  /** Sends a request down to one node (this one in process). */
  private Future<JsonObject> toNode(String node, String op, JsonObject body) {
    if (node.equals(nodeId)) {
      return run(down.apply(op), op, body.copy());
    }
    return vertx.eventBus().<JsonObject>request(NODE_ADDRESS + node, SchemaVersion.stamp(new JsonObject(), VERSION)
            .put("op", op).put("body", body), new DeliveryOptions().setSendTimeout(TIMEOUT.toMillis()))
        .map(Message::body)
        .recover(e -> Future.failedFuture(ProblemReplies.read(e).orElseGet(() -> ServerErrorException.unavailable(
            "node " + node + " does not answer (" + e.getMessage() + ")", e))));
  }

  /** Where the role of this node's term sends what it has for this node itself (agent commands, tests). */
  public Requests toThisNode() {
    return (op, body) -> toNode(nodeId, op, body);
  }

  /** A request from another node for the role this node runs. */
  private void serve(Message<JsonObject> message) {
    JsonObject request = message.body();
    Optional<String> refused = SchemaVersion.refusal(request, VERSION, "site authority");
    if (refused.isPresent()) {
      ProblemReplies.fail(message, ClientErrorException.badRequest(refused.get()), INTERNAL);
      return;
    }
    HubRole local = role;
    if (local == null || !local.running()) {
      ProblemReplies.fail(message, ServerErrorException.unavailable("node " + nodeId + " does not hold the site's "
          + "authority now; try again"), INTERNAL);
      return;
    }
    String caller = request.getString("node", "");
    HubOperations.Caller from = new HubOperations.Caller(location, caller, (op, body) -> toNode(caller, op, body));
    call(local, from, request.getString("op", ""), request.getJsonObject("body", new JsonObject()))
        .onSuccess(message::reply)
        .onFailure(e -> ProblemReplies.fail(message, e, INTERNAL));
  }

  /** A request the role (on another node) sends down to this node. */
  private void serveDown(Message<JsonObject> message) {
    JsonObject request = message.body();
    Optional<String> refused = SchemaVersion.refusal(request, VERSION, "site authority");
    if (refused.isPresent()) {
      ProblemReplies.fail(message, ClientErrorException.badRequest(refused.get()), INTERNAL);
      return;
    }
    String op = request.getString("op", "");
    run(down.apply(op), op, request.getJsonObject("body", new JsonObject()))
        .onSuccess(message::reply)
        .onFailure(e -> ProblemReplies.fail(message, e, INTERNAL));
  }

  private static Future<JsonObject> call(HubRole role, HubOperations.Caller caller, String op, JsonObject body) {
    Function<JsonObject, Future<JsonObject>> handler;
    try {
      handler = role.operation(caller, op);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return run(handler, op, body);
  }

  private static Future<JsonObject> run(Function<JsonObject, Future<JsonObject>> handler, String op,
      JsonObject body) {
    if (handler == null) {
      return Future.failedFuture(ClientErrorException.notFound("unknown operation " + op));
    }
    Future<JsonObject> answer;
    try {
      answer = handler.apply(body);
    } catch (RuntimeException e) {
      answer = Future.failedFuture(e);
    }
    return answer.map(json -> json == null ? new JsonObject() : json).recover(e -> {
      if (e instanceof OutpostException) {
        return Future.failedFuture(e);
      }
      LOG.error("Operation {} failed", op, e);
      return Future.failedFuture(ServerErrorException.internal("the peer could not complete " + op, e));
    });
  }

  private static OutpostException problem(String holder, Throwable e) {
    return ProblemReplies.read(e).orElseGet(() -> ServerErrorException.unavailable("node " + holder + ", which "
        + "holds the site's authority, does not answer (" + e.getMessage() + "); try again", e));
  }

  @Override
  public boolean reachable() {
    return holding() || holder().filter(node -> !node.equals(nodeId)).isPresent();
  }

  @Override
  public String describe() {
    if (holding()) {
      return "this node holds the site's authority (since " + since + ")";
    }
    return waiting;
  }
}
