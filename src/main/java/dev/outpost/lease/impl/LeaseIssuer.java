package dev.outpost.lease.impl;

import com.hazelcast.collection.IQueue;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SiteModel;
import dev.outpost.cluster.ClusterFutures;
import dev.outpost.cluster.ClusterSeal;
import dev.outpost.cluster.SealedMap;
import dev.outpost.lease.Lease;
import dev.outpost.lease.LeaseOperations;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster-wide lease issuing queue. Sign-ins put a request in {@value #PENDING_MAP} (keyed by user and
 * device, so a user signing in again does not queue twice) and its key in {@value #QUEUE_NAME}, and return at once;
 * the oldest cluster member drains the queue towards the hub at no more than {@code lease.issue-rate} leases in any
 * second, in batches, and keeps the signed leases in {@value #CURRENT_MAP} until they expire. Both structures have
 * a backup on another member, and a member that becomes the drainer re-queues what the previous one had taken
 * but not finished, so requests survive a node's death. A user's lease is renewed at most once a day unless their
 * entitlements (or the appliance they use) changed; a change of the site model re-queues the leases it affects.
 */
public final class LeaseIssuer extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseIssuer.class);
  public static final String PENDING_MAP = "outpost.lease.pending";
  public static final String QUEUE_NAME = "outpost.lease.queue";
  public static final String CURRENT_MAP = "outpost.lease.current";
  /** User id -> key of the lease issued to that user last, on whichever device. */
  public static final String LATEST_MAP = "outpost.lease.latest";
  /** A lease is renewed at most this often unless entitlements change. */
  public static final Duration REFRESH_AFTER = Duration.ofDays(1);
  private static final long TICK_MS = 100;
  private static final int MAX_IN_FLIGHT = 4;
  private static final long MAX_BACKOFF_MS = 30_000;

  /** A signed lease as kept for its user and device. */
  public record Issued(String token, Lease lease) {
  }

  /** A request taken off the queue, with the exact pending value (removed only if nobody replaced it). */
  private record Taken(String key, String json) {
  }

  private final HazelcastInstance hazelcast;
  private final SealedMap pending;
  private final IQueue<String> queue;
  private final SealedMap current;
  private final SealedMap latest;
  private final Upstream hub;
  private final Supplier<SiteModel> model;
  private final Predicate<Lease> revoked;
  private final IssueRateLimit limit;
  private final int perTick;
  private final Clock clock;
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
  private int batches;
  private boolean polling;
  private boolean leading;
  private boolean scanning;
  private long modelVersion = -1;
  private long pausedUntil;
  private long backoffMs;

  /**
   * @param model this location's site model as this node knows it, to tell when entitlements changed
   * @param revoked whether a lease was revoked (it is then replaced at the next sign-in or request)
   * @param ratePerSecond most leases asked of the hub in any one second, cluster-wide
   * @param seal seals the requests and leases kept in the cluster (the queue holds only their keys)
   */
  public LeaseIssuer(HazelcastInstance hazelcast, ClusterSeal seal, Upstream hub, Supplier<SiteModel> model,
      Predicate<Lease> revoked, int ratePerSecond, Clock clock) {
    this.hazelcast = Objects.requireNonNull(hazelcast);
    this.pending = SealedMap.of(hazelcast, PENDING_MAP, seal);
    this.queue = hazelcast.getQueue(QUEUE_NAME);
    this.current = SealedMap.of(hazelcast, CURRENT_MAP, seal);
    this.latest = SealedMap.of(hazelcast, LATEST_MAP, seal);
    this.hub = Objects.requireNonNull(hub);
    this.model = Objects.requireNonNull(model);
    this.revoked = Objects.requireNonNull(revoked);
    this.limit = new IssueRateLimit(ratePerSecond);
    this.perTick = (int) Math.max(1, Math.min(LeaseAuthority.MAX_BATCH, Math.ceil(ratePerSecond * TICK_MS / 1000.0)));
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(TICK_MS, id -> tick());
    return Future.succeededFuture();
  }

  // ---- what sign-in and the store ask -----------------------------------------------------------------

  /** Asks for a lease unless the current one is still good; returns at once (the work is queued). */
  public void request(IssueRequest request) {
    ClusterFutures.on(vertx.getOrCreateContext(), current.getAsync(request.key()))
        .compose(entry -> upToDate(entry, request) ? Future.succeededFuture() : enqueue(request))
        .onFailure(e -> LOG.warn("Could not queue a lease for user {}: {}", request.user().username(),
            e.getMessage()));
  }

  /** The current lease of a user on a device, or {@code null} (also when it expired or was revoked). */
  public Future<Issued> issued(String key) {
    return ClusterFutures.on(vertx.getOrCreateContext(), current.getAsync(key)).map(entry -> {
      if (entry == null) {
        return null;
      }
      String token = new JsonObject(entry).getString("token");
      Lease lease = Lease.read(token);
      return lease.expiresAt().isAfter(clock.instant()) && !revoked.test(lease) ? new Issued(token, lease) : null;
    });
  }

  /** The lease issued to this user last, on whichever device, or {@code null}. */
  public Future<Issued> latestOf(String userId) {
    return ClusterFutures.on(vertx.getOrCreateContext(), latest.getAsync(userId))
        .compose(key -> key == null ? Future.succeededFuture() : issued(key));
  }

  /** Whether a lease for this user and device is waiting to be issued. */
  public Future<Boolean> queued(String key) {
    return ClusterFutures.on(vertx.getOrCreateContext(), pending.getAsync(key)).map(Objects::nonNull);
  }

  /** Queues a request (when it is not queued already). */
  public Future<Void> enqueue(IssueRequest request) {
    return ClusterFutures.on(vertx.getOrCreateContext(), pending.putAsync(request.key(), request.toJson().encode()))
        .compose(previous -> previous != null ? Future.succeededFuture()
            : vertx.executeBlocking(() -> queue.offer(request.key()), false).mapEmpty());
  }

  /** Drops a user's lease on a device and any request for it (sign-out). */
  public Future<Void> forget(String key) {
    return Future.all(ClusterFutures.on(vertx.getOrCreateContext(), current.removeAsync(key)),
        ClusterFutures.on(vertx.getOrCreateContext(), pending.removeAsync(key))).mapEmpty();
  }

  private boolean upToDate(String entry, IssueRequest request) {
    if (entry == null) {
      return false;
    }
    Lease lease;
    try {
      lease = Lease.read(new JsonObject(entry).getString("token"));
    } catch (RuntimeException e) {
      return false;
    }
    Instant now = clock.instant();
    boolean sameAppliance = request.appliances().isEmpty() || lease.appliances().stream()
        .anyMatch(a -> a.url().equals(request.appliances().get(0).url()));
    return lease.issuedAt().isAfter(now.minus(REFRESH_AFTER)) && lease.expiresAt().isAfter(now) && sameAppliance
        && !revoked.test(lease) && sameResources(lease, model.get(), request.user());
  }

  /** Whether the lease names exactly the resources the model entitles its user to (unknown model: yes). */
  static boolean sameResources(Lease lease, SiteModel model, UserRef user) {
    if (model.version() == 0) {
      return true;
    }
    Set<String> entitled = model.entitledResources(user.id(), user.directoryGroups()).stream()
        .map(SiteModel.Resource::id).collect(Collectors.toSet());
    return entitled.equals(lease.resources().stream().map(Lease.Resource::id).collect(Collectors.toSet()));
  }

  // ---- draining, on the oldest member ----------------------------------------------------------------

  /** Whether this member is the oldest of the cluster, which drains the queue; false once it is shutting down. */
  private boolean leader() {
    try {
      return hazelcast.getLifecycleService().isRunning()
          && hazelcast.getCluster().getMembers().iterator().next().localMember();
    } catch (HazelcastInstanceNotActiveException e) {
      return false;
    }
  }

  private void tick() {
    if (!leader()) {
      leading = false;
      return;
    }
    if (!leading) {
      leading = true;
      vertx.executeBlocking(this::requeueOrphans, false)
          .onSuccess(n -> {
            if (n > 0) {
              LOG.info("Took over the lease issuing queue: re-queued {} request(s) a previous member had taken", n);
            }
          });
    }
    watchModel();
    long now = clock.millis();
    if (polling || batches >= MAX_IN_FLIGHT || now < pausedUntil || !hub.reachable()) {
      return;
    }
    int n = Math.min(limit.allowed(now), perTick);
    if (n <= 0) {
      return;
    }
    polling = true;
    vertx.executeBlocking(() -> take(n), false)
        .onComplete(ar -> polling = false)
        .onSuccess(taken -> {
          if (!taken.isEmpty()) {
            send(taken, limit.sent(taken.size()));
          }
        })
        .onFailure(e -> LOG.warn("Could not read the lease issuing queue: {}", e.getMessage()));
  }

  /** Takes up to {@code n} requests off the queue (blocking: on a worker). */
  private List<Taken> take(int n) {
    List<String> keys = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      String key = queue.poll();
      if (key == null) {
        break;
      }
      if (inFlight.add(key)) {
        keys.add(key);
      }
    }
    if (keys.isEmpty()) {
      return List.of();
    }
    Map<String, String> found = pending.getAll(new HashSet<>(keys));
    List<Taken> taken = new ArrayList<>(keys.size());
    for (String key : keys) {
      String json = found.get(key);
      if (json == null) {
        inFlight.remove(key); // issued or forgotten meanwhile
      } else {
        taken.add(new Taken(key, json));
      }
    }
    return taken;
  }

  private void send(List<Taken> taken, IssueRateLimit.Batch counted) {
    batches++;
    JsonArray items = new JsonArray(taken.stream().map(t -> (Object) new JsonObject(t.json())).toList());
    hub.request(LeaseOperations.ISSUE, new JsonObject().put("items", items))
        .compose(answer -> vertx.executeBlocking(() -> keep(taken, answer.getJsonArray("items", new JsonArray())),
            false))
        .onSuccess(n -> backoffMs = 0)
        .onFailure(e -> {
          backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(500, backoffMs * 2));
          pausedUntil = clock.millis() + backoffMs;
          LOG.warn("The hub did not issue {} lease(s), retrying in {} ms: {}", taken.size(), backoffMs,
              e.getMessage());
          vertx.executeBlocking(() -> {
            taken.forEach(t -> queue.offer(t.key()));
            return null;
          }, false);
        })
        .onComplete(ar -> {
          limit.answered(counted, clock.millis());
          batches--;
          taken.forEach(t -> inFlight.remove(t.key()));
        });
  }

  /** Stores what the hub signed and clears the requests it answered (blocking: on a worker). */
  private int keep(List<Taken> taken, JsonArray results) {
    Map<String, Taken> byKey = new HashMap<>();
    taken.forEach(t -> byKey.put(t.key(), t));
    int kept = 0;
    for (Object o : results) {
      JsonObject result = (JsonObject) o;
      Taken t = byKey.get(result.getString("key"));
      if (t == null) {
        continue;
      }
      String token = result.getString("lease");
      if (token == null) {
        LOG.warn("The hub refused a lease for {}: {}", t.key(), result.getString("error"));
      } else {
        Lease lease = Lease.read(token);
        long ttl = lease.expiresAt().toEpochMilli() - clock.millis();
        if (ttl > 0) {
          current.set(t.key(), new JsonObject().put("token", token).put("request", new JsonObject(t.json()))
              .encode(), ttl, TimeUnit.MILLISECONDS);
          latest.set(lease.user().id(), t.key(), ttl, TimeUnit.MILLISECONDS);
          kept++;
        }
      }
      pending.remove(t.key(), t.json());
    }
    return kept;
  }

  /** Re-queues requests that are pending but neither queued nor in flight here (blocking: on a worker). */
  private int requeueOrphans() {
    Set<String> queued = new HashSet<>(queue);
    int n = 0;
    for (String key : pending.keySet()) {
      if (!queued.contains(key) && !inFlight.contains(key)) {
        queue.offer(key);
        n++;
      }
    }
    return n;
  }

  /** When the site model changes, re-queues the leases whose resources no longer match. */
  private void watchModel() {
    SiteModel now = model.get();
    if (modelVersion == -1 || scanning) {
      modelVersion = scanning ? modelVersion : now.version();
      return;
    }
    if (now.version() == modelVersion) {
      return;
    }
    modelVersion = now.version();
    scanning = true;
    vertx.executeBlocking(() -> rescan(now), false)
        .onComplete(ar -> scanning = false)
        .onSuccess(n -> {
          if (n > 0) {
            LOG.info("Entitlements changed (site model version {}): {} lease(s) queued for renewal", now.version(), n);
          }
        })
        .onFailure(e -> LOG.warn("Could not check leases against the new site model: {}", e.getMessage()));
  }

  private int rescan(SiteModel site) {
    int n = 0;
    for (Map.Entry<String, String> entry : current.entries().entrySet()) {
      JsonObject stored = new JsonObject(entry.getValue());
      IssueRequest request = IssueRequest.fromJson(stored.getJsonObject("request"));
      if (!sameResources(Lease.read(stored.getString("token")), site, request.user())
          && pending.put(request.key(), request.toJson().encode()) == null) {
        queue.offer(request.key());
        n++;
      }
    }
    return n;
  }
}
