package dev.outpost.lease.impl;

import dev.outpost.cluster.ClusterFutures;
import dev.outpost.cluster.SealedMap;
import dev.outpost.crypto.SecureFiles;
import dev.outpost.lease.LeaseOperations;
import dev.outpost.lease.Revocation;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The appliance's copy of what leases are checked against — the site's public lease keys and the revocations in
 * force — next to the local host cache: in memory and on disk ({@code data-dir/lhc/lease-trust.json},
 * owner-only), refreshed from the hub every {@code hub.sync-interval}, so that leases verify when the hub is gone.
 * Revocations also travel through the cluster ({@value #MAP_NAME}), which is how one made on an appliance during
 * a hub outage reaches every node of the location at once; revocations made on this appliance while it has a
 * separate hub are handed to the hub when it answers.
 */
public final class LeaseTrustCache extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseTrustCache.class);
  /** Revocation id -> revocation JSON, cluster-wide (with a backup). */
  public static final String MAP_NAME = "outpost.lease.revocations";

  private final Upstream hub;
  private final Path file;
  private final Duration interval;
  private final SealedMap cluster;
  private final RevocationOutbox outbox;
  private final String node;
  private final Clock clock;
  private final RevocationStore store = new RevocationStore();
  private volatile LeaseTrust current = LeaseTrust.NONE;
  private String persisted = "";
  private boolean syncing;
  private long lastSync = System.nanoTime();
  private final java.util.concurrent.atomic.AtomicLong lastOnDemand =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime() - 1_000_000_000L);

  /** @param outbox where revocations made on this appliance wait for the site's lease authority */
  public LeaseTrustCache(Upstream hub, Path dataDir, Duration interval, SealedMap cluster,
      RevocationOutbox outbox, String node, Clock clock) {
    this.hub = Objects.requireNonNull(hub);
    this.file = dataDir.resolve("lhc").resolve("lease-trust.json");
    this.interval = Objects.requireNonNull(interval);
    this.cluster = Objects.requireNonNull(cluster);
    this.outbox = Objects.requireNonNull(outbox);
    this.node = Objects.requireNonNull(node);
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> {
      LeaseTrust loaded = load();
      cluster.addListener((id, json) -> learn(json));
      List<Revocation> known = cluster.values().stream().map(v -> Revocation.fromJson(new JsonObject(v))).toList();
      return (loaded == null ? LeaseTrust.NONE : loaded).withRevocations(known);
    }, false).onSuccess(loaded -> {
      update(t -> loaded.withRevocations(t.revocations()));
      if (!loaded.keys().isEmpty()) {
        LOG.info("Lease trust loaded: {} key(s), {} revocation(s)", loaded.keys().size(), loaded.revocations().size());
      }
      // until the first keys arrive, ask every second; then every interval
      vertx.setPeriodic(Math.min(1_000, interval.toMillis()), id -> {
        if (current.keys().isEmpty() || System.nanoTime() - lastSync >= interval.toNanos()) {
          syncHere();
        }
      });
      syncHere();
    });
  }

  /** What leases are verified against now; safe from any thread. */
  public LeaseTrust trust() {
    return current;
  }

  /** Makes a revocation effective on every node of the cluster now (and on this one before the answer). */
  public Future<Void> publish(Revocation revocation) {
    update(t -> t.withRevocations(List.of(revocation)));
    context.runOnContext(v -> persist());
    return ClusterFutures.on(vertx.getOrCreateContext(), cluster.setAsync(revocation.id(),
        revocation.toJson().encode(), RevocationStore.RELEVANT.toMillis(), TimeUnit.MILLISECONDS));
  }

  /**
   * The trust to check a lease signed with {@code keyId}: the current one, or — when that key is not known yet, e.g.
   * right after a key rotation — a fresh copy from the hub if it answers (at most one such fetch a second).
   */
  public Future<LeaseTrust> trustFor(String keyId) {
    long now = System.nanoTime();
    long last = lastOnDemand.get();
    if (current.knows(keyId) || now - last < 1_000_000_000L || !lastOnDemand.compareAndSet(last, now)) {
      return Future.succeededFuture(current);
    }
    return sync();
  }

  /**
   * Fetches keys and revocations from the hub now, if it answers; completes (on the caller's context) with the trust
   * in use afterwards.
   */
  public Future<LeaseTrust> sync() {
    io.vertx.core.Context caller = vertx.getOrCreateContext();
    java.util.concurrent.CompletableFuture<LeaseTrust> done = new java.util.concurrent.CompletableFuture<>();
    context.runOnContext(v -> syncHere().onComplete(ar -> done.complete(ar.succeeded() ? ar.result() : current)));
    return Future.fromCompletionStage(done, caller);
  }

  /** {@link #sync} on this verticle's context. */
  private Future<LeaseTrust> syncHere() {
    if (syncing || !hub.reachable()) {
      return Future.succeededFuture(current);
    }
    syncing = true;
    return outbox.forward(hub, node)
        .compose(v -> hub.request(LeaseOperations.TRUST, new JsonObject()))
        .map(LeaseTrust::fromJson)
        .compose(this::keep)
        .onSuccess(t -> lastSync = System.nanoTime())
        .onFailure(e -> LOG.debug("Lease trust not refreshed: {}", e.getMessage()))
        .recover(e -> Future.succeededFuture(current))
        .onComplete(ar -> syncing = false);
  }

  /** Replaces the trust in use; mutations come from the event loop and from cluster event threads. */
  private synchronized LeaseTrust update(java.util.function.UnaryOperator<LeaseTrust> change) {
    current = change.apply(current);
    return current;
  }

  private void learn(String json) {
    try {
      Revocation revocation = Revocation.fromJson(new JsonObject(json));
      update(t -> t.withRevocations(List.of(revocation)));
      context.runOnContext(v -> persist());
    } catch (RuntimeException e) {
      LOG.warn("Ignoring an unreadable lease revocation from the cluster: {}", e.getMessage());
    }
  }

  private Future<LeaseTrust> keep(LeaseTrust trusted) {
    java.time.Instant horizon = clock.instant().minus(RevocationStore.RELEVANT);
    LeaseTrust merged = update(t -> trusted.withRevocations(t.revocations().stream()
        .filter(r -> r.revokedAt().isAfter(horizon)).toList()));
    return persist().map(merged);
  }

  /** Writes the trust in use to disk when it changed (so revocations learned in an outage survive a restart). */
  private Future<Void> persist() {
    String content = current.toJson().encode();
    if (content.equals(persisted)) {
      return Future.succeededFuture();
    }
    return vertx.executeBlocking(() -> {
      SecureFiles.createPrivateDirectories(file.getParent());
      SecureFiles.writePrivate(file, content);
      return null;
    }, false).onSuccess(v -> persisted = content).mapEmpty();
  }

  private LeaseTrust load() throws IOException {
    if (!Files.exists(file)) {
      return null;
    }
    try {
      return LeaseTrust.fromJson(new JsonObject(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (RuntimeException e) {
      LOG.warn("Ignoring the unreadable lease trust file {}: {}", file, e.getMessage());
      return null;
    }
  }
}
