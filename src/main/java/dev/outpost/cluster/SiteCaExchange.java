package dev.outpost.cluster;

import com.hazelcast.cluster.Cluster;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.SiteCaRollover;
import dev.outpost.crypto.SiteCaSeal;
import dev.outpost.crypto.SiteCertificates;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site CA for every node of a cluster. Each member publishes its CA in {@value #MAP_NAME} (the key sealed
 * under {@code cluster.secret}, see {@link SiteCaSeal}); the first to publish sets it. A node that joins on a
 * fresh data dir adopts that CA instead of making its own, so a session host's agent trusts, and is trusted by,
 * every node of the site and can fail over between them. A fresh node that is the oldest member (it found no
 * running node, e.g. every node of a new site lists the others in {@code cluster.join} and this one came first)
 * founds the site: it makes the CA the others adopt.
 *
 * <p>A rotation of the site CA ({@link #rotate}) replaces the published CA with the new one and its overlap (sealed);
 * every running node adopts it as it sees the change ({@link #watch}), and a node that was stopped meanwhile adopts it
 * at its next start, because the new CA names the node's CA as the one it replaces. Every method but {@link #watch}
 * blocks: call them from a worker.
 */
public final class SiteCaExchange {

  private static final Logger LOG = LoggerFactory.getLogger(SiteCaExchange.class);
  public static final String MAP_NAME = "outpost.site.ca";
  static final String ENTRY = "site-ca";
  /** How long a joining node waits for the site CA before start-up fails. */
  public static final Duration ADOPT_DEADLINE = Duration.ofSeconds(30);
  private static final long POLL_MS = 200;

  private final IMap<String, String> map;
  private final Cluster cluster;
  private final SiteCaSeal seal;
  private final List<String> join;
  private final Duration deadline;

  /**
   * @param secret {@code cluster.secret} (configured, or the one a single node keeps in its data dir)
   * @param join {@code cluster.join}: empty for the first node of a site
   */
  public SiteCaExchange(HazelcastInstance hazelcast, String secret, List<String> join, Duration deadline) {
    this.map = hazelcast.getMap(MAP_NAME);
    this.cluster = hazelcast.getCluster();
    this.seal = SiteCaSeal.of(secret);
    this.join = List.copyOf(join);
    this.deadline = Objects.requireNonNull(deadline);
  }

  /**
   * This node's certificates: the stored ones; on a fresh data dir of a joining node, the cluster's CA; else a new
   * CA. Then publishes the CA for later members.
   *
   * @throws IllegalStateException with one line for the operator when no site CA arrives in time
   * @throws IOException when the tls directory cannot be read or written
   */
  public SiteCertificates loadOrAdopt(Path tlsDir, String siteName, Collection<String> names) throws IOException {
    return loadOrAdopt(tlsDir, siteName, names, SiteCertificates.NodeTerms.DEFAULT);
  }

  /** Like {@link #loadOrAdopt(Path, String, Collection)}, issuing the node certificate by {@code terms}. */
  public SiteCertificates loadOrAdopt(Path tlsDir, String siteName, Collection<String> names,
      SiteCertificates.NodeTerms terms) throws IOException {
    SiteCertificates certificates;
    if (SiteCertificates.hasCa(tlsDir) || join.isEmpty()) {
      certificates = SiteCertificates.loadOrCreate(tlsDir, siteName, names, terms);
      catchUp(certificates);
    } else {
      certificates = adoptOrFound(tlsDir, siteName, names, terms);
    }
    publish(certificates);
    return certificates;
  }

  private SiteCertificates adoptOrFound(Path tlsDir, String siteName, Collection<String> names,
      SiteCertificates.NodeTerms terms) throws IOException {
    SiteCaSeal.Sealed sealed = await();
    if (sealed == null) {
      LOG.info("No running node of the site has published a site CA and this node is the oldest member: it makes the "
          + "site CA that the nodes joining later adopt");
      return SiteCertificates.loadOrCreate(tlsDir, siteName, names, terms);
    }
    SiteCaRollover published = open(sealed);
    return SiteCertificates.adopt(tlsDir, sealed.caPem(), seal.openKey(sealed), published.rotation(), names, terms);
  }

  private SiteCaRollover open(SiteCaSeal.Sealed sealed) {
    try {
      return seal.open(sealed);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("cluster.secret: cannot open the site CA the cluster published (" + e.getMessage()
          + "); set the same cluster.secret as the other nodes of the site");
    }
  }

  /** Adopts the site's new CA when the site rotated it while this node was stopped. */
  private void catchUp(SiteCertificates certificates) throws IOException {
    String published = map.get(ENTRY);
    if (published == null) {
      return;
    }
    SiteCaRollover rollover;
    try {
      rollover = seal.open(SiteCaSeal.Sealed.fromJson(new JsonObject(published)));
    } catch (IllegalArgumentException e) {
      LOG.warn("Cannot open the site CA the cluster published: {}", e.getMessage());
      return;
    }
    if (continues(rollover, certificates)) {
      LOG.info("The site rotated its CA while this node was stopped: adopting {}", Fingerprints.display(
          rollover.caFingerprint()));
      certificates.adopt(rollover);
    }
  }

  /** Whether {@code rollover} is a rotation that takes over from this node's CA. */
  private static boolean continues(SiteCaRollover rollover, SiteCertificates certificates) {
    return rollover.rotation() != null && !rollover.caFingerprint().equals(certificates.caFingerprint())
        && Fingerprints.sha256(rollover.rotation().retired()).equals(certificates.caFingerprint());
  }

  /**
   * Publishes {@code rollover} as the site's CA in place of this node's, if the cluster still publishes this node's
   * (two admins rotating at once: one wins). Adopt it afterwards, here as on the other nodes.
   *
   * @throws IllegalStateException when the cluster publishes another CA than this node's
   */
  public void rotate(SiteCertificates certificates, SiteCaRollover rollover) {
    String existing = map.get(ENTRY);
    if (existing == null) {
      existing = map.putIfAbsent(ENTRY, seal.seal(certificates).toJson().encode());
      if (existing == null) {
        existing = map.get(ENTRY);
      }
    }
    String theirs = SiteCaSeal.Sealed.fromJson(new JsonObject(existing)).caFingerprint();
    if (!theirs.equals(certificates.caFingerprint())) {
      throw new IllegalStateException("the cluster's site CA is " + Fingerprints.display(theirs) + ", not this node's "
          + Fingerprints.display(certificates.caFingerprint()) + " (another rotation, or a node with a CA of its own)");
    }
    if (!map.replace(ENTRY, existing, seal.seal(rollover).toJson().encode())) {
      throw new IllegalStateException("another node changed the site CA at the same time; look at GET "
          + "/admin/api/v1/site-ca and try again if it is still needed");
    }
  }

  /**
   * Calls {@code adopt} (on a Hazelcast thread: hand blocking work on) with each new site CA the cluster publishes
   * that takes over from this node's.
   */
  public void watch(SiteCertificates certificates, Consumer<SiteCaRollover> adopt) {
    map.addEntryListener((EntryUpdatedListener<String, String>) event -> {
      if (!ENTRY.equals(event.getKey()) || event.getValue() == null) {
        return;
      }
      try {
        SiteCaRollover rollover = seal.open(SiteCaSeal.Sealed.fromJson(new JsonObject(event.getValue())));
        if (continues(rollover, certificates)) {
          adopt.accept(rollover);
        }
      } catch (IllegalArgumentException e) {
        LOG.warn("Ignoring a site CA published in the cluster that does not open under this site's secret: {}",
            e.getMessage());
      }
    }, true);
  }

  /** The CA the cluster published; null when there is none and this node is the oldest member, so founds it. */
  private SiteCaSeal.Sealed await() {
    long end = System.nanoTime() + deadline.toNanos();
    while (true) {
      String published = map.get(ENTRY);
      if (published != null) {
        return SiteCaSeal.Sealed.fromJson(new JsonObject(published));
      }
      if (oldest()) {
        return null;
      }
      if (System.nanoTime() - end > 0) {
        throw new IllegalStateException("cluster.join: no site CA arrived from the cluster within "
            + deadline.toSeconds() + " s; start this node while another node of the site runs with the same "
            + "cluster.secret, or copy tls/ca.crt and tls/ca.key from a node of the site into this node's data dir");
      }
      try {
        // a worker waiting for another member's put: the map has no blocking read to wait on
        Thread.sleep(POLL_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for the site CA");
      }
    }
  }

  private boolean oldest() {
    return cluster.getMembers().iterator().next().localMember();
  }

  /** Offers this node's CA; when the cluster has another, says so: agents cannot fail over between the two. */
  private void publish(SiteCertificates certificates) {
    String mine = certificates.caFingerprint();
    String existing = map.get(ENTRY);
    if (existing == null) {
      existing = map.putIfAbsent(ENTRY, seal.seal(certificates).toJson().encode());
    }
    if (existing == null) {
      return;
    }
    String theirs = SiteCaSeal.Sealed.fromJson(new JsonObject(existing)).caFingerprint();
    if (!theirs.equals(mine)) {
      LOG.warn("This node's site CA {} differs from the cluster's {}: it keeps its own, and agents cannot fail "
          + "over between it and the other nodes; to share the cluster's, move this node's tls/ aside and start it "
          + "again with --join", Fingerprints.display(mine), Fingerprints.display(theirs));
    }
  }
}
