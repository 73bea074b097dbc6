package dev.outpost.cluster;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.EvictionConfig;
import com.hazelcast.config.EvictionPolicy;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.NearCacheConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.QueueConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.SocketInterceptorConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceFactory;
import com.hazelcast.spi.merge.DiscardMergePolicy;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import dev.outpost.gateway.TicketStore;
import dev.outpost.identity.HazelcastAttemptCounters;
import dev.outpost.identity.HazelcastSessionStore;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

/**
 * Hazelcast for a site's nodes: TCP-IP join only (no multicast), the exact cluster port, the cluster name of the
 * resource location, and backups on every map that brokering relies on. The port speaks the member protocol only
 * (no client endpoint), and every connection on it first proves {@code cluster.secret} ({@link
 * MemberAuthenticator}).
 */
public final class ClusterSetup {

  /** Name pattern of the lease feature's maps and queue. */
  private static final String LEASE_STRUCTURES = "outpost.lease.*";
  private static final String OUTAGE_STRUCTURES = "outpost.lhc.*";
  /** Name of the split-brain protection rule ({@code cluster.min-members}). */
  public static final String QUORUM = "outpost-majority";
  /** How often a node looks for the other half of a split cluster to merge with. */
  static final int MERGE_DELAY_SECONDS = 5;

  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

  private ClusterSetup() {
  }

  /** Member attribute in which Vert.x's cluster manager finds its node id when it is handed a running member. */
  static final String VERTX_NODE_ATTRIBUTE = "__vertx.nodeId";

  /**
   * Starts this node's cluster member; blocks until it has joined the nodes of {@code cluster.join} it can reach
   * (or found none).
   *
   * @param node this node's id and name, published as member attributes
   * @param authenticator proves {@code cluster.secret} on every cluster connection
   */
  public static HazelcastInstance start(ClusterConfig cluster, NodeIdentity node, String version,
      MemberAuthenticator authenticator) {
    // Vert.x keys its event bus registrations by its node id and drops those of a member that left: a node restarted
    // after a crash, with the same id, must not lose its new registrations when its old member is declared dead.
    String incarnation = node.id() + "." + Long.toHexString(RANDOM.nextLong());
    Config config = hazelcastConfig(cluster, node, incarnation, version);
    return HazelcastInstanceFactory.newHazelcastInstance(config, "outpost-" + incarnation,
        new AuthenticatingNodeContext(authenticator));
  }

  /** Vert.x's view of a member started by {@link #start}; shutting the member down stays with the caller. */
  public static HazelcastClusterManager clusterManager(HazelcastInstance member) {
    return new HazelcastClusterManager(member);
  }

  private static NearCacheConfig nearCache() {
    return new NearCacheConfig().setInvalidateOnChange(true).setCacheLocalEntries(true)
        .setInMemoryFormat(InMemoryFormat.OBJECT)
        .setEvictionConfig(new EvictionConfig().setSize(100_000).setEvictionPolicy(EvictionPolicy.LRU));
  }

  /**
   * One-time tickets. When a split heals, the smaller half's tickets are discarded rather than merged in: a ticket
   * consumed on the larger half (an entry removed) must not come back from the other half's copy and open twice.
   */
  private static MapConfig tickets() {
    MapConfig tickets = new MapConfig(TicketStore.MAP_NAME).setBackupCount(1);
    tickets.getMergePolicyConfig().setPolicy(DiscardMergePolicy.class.getName());
    return tickets;
  }

  static Config hazelcastConfig(ClusterConfig cluster, NodeIdentity node, String incarnation, String version) {
    Config config = ConfigUtil.loadConfig();
    config.getMemberAttributeConfig().setAttribute("outpost.node", node.id())
        .setAttribute(NodeIdentity.NAME_ATTRIBUTE, node.name()).setAttribute("outpost.version", version)
        .setAttribute(VERTX_NODE_ATTRIBUTE, incarnation);
    config.setClusterName(cluster.name());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    // A lone node must not wait for partners it was not told about.
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    // After a network split heals, look for the other half within seconds rather than Hazelcast's default of
    // minutes: the minority half refuses to broker until it is merged back.
    config.setProperty("hazelcast.merge.first.run.delay.seconds", Integer.toString(MERGE_DELAY_SECONDS));
    config.setProperty("hazelcast.merge.next.run.delay.seconds", Integer.toString(MERGE_DELAY_SECONDS));

    // Java deserialization of Hazelcast's, the JDK's, Vert.x's and Outpost's own classes only (Hazelcast's default
    // deny-list of known gadgets stays): a second line behind the member handshake.
    config.getSerializationConfig().setJavaSerializationFilterConfig(new JavaSerializationFilterConfig()
        .setWhitelist(new ClassFilter().addPrefixes("dev.outpost.", "io.vertx.")));
    // The member endpoint only: a Hazelcast client cannot even start its protocol on the cluster port.
    AdvancedNetworkConfig network = config.getAdvancedNetworkConfig().setEnabled(true);
    ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
    member.setPort(cluster.port()).setPortAutoIncrement(false)
        .setSocketInterceptorConfig(new SocketInterceptorConfig().setEnabled(true));
    if (!cluster.host().isEmpty()) {
      member.setPublicAddress(cluster.host() + ":" + cluster.port());
      member.getInterfaces().setEnabled(true).addInterface(cluster.host());
      config.setProperty("hazelcast.local.localAddress", cluster.host());
      // Listen on that address only, not on every interface, and speak to other members from it too, so that
      // firewall rules between nodes can name each node by its address.
      config.setProperty("hazelcast.socket.bind.any", "false");
      config.setProperty("hazelcast.socket.client.bind.any", "false");
    }
    network.setMemberEndpointConfig(member);
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.join()).setConnectionTimeoutSeconds(2);

    // Split-brain protection: with cluster.min-members above 1, a node cut off from the majority refuses to consume
    // (or store) tickets, so that no ticket opens two streams while the halves of a split cluster each hold a copy.
    if (cluster.minMembers() > 1) {
      config.addSplitBrainProtectionConfig(new SplitBrainProtectionConfig(QUORUM, true, cluster.minMembers())
          .setProtectOn(SplitBrainProtectionOn.READ_WRITE));
      config.addMapConfig(tickets().setSplitBrainProtectionName(QUORUM));
    } else {
      config.addMapConfig(tickets());
    }
    // Every API request reads its session and the user's revocation mark: keep a local, invalidated copy so that
    // the read is served from this node's memory instead of a partition operation.
    config.addMapConfig(new MapConfig(HazelcastSessionStore.MAP_NAME).setBackupCount(1).setAsyncBackupCount(0)
        .setNearCacheConfig(nearCache()));
    config.addMapConfig(new MapConfig(HazelcastSessionStore.REVOCATIONS_MAP_NAME).setBackupCount(1)
        .setNearCacheConfig(nearCache()));
    // Connection leases: the issuing queue and its requests, issued leases, revocations, used proofs, appliance
    // addresses. A backup on another member, so that a node's death loses none of them.
    config.addMapConfig(new MapConfig(LEASE_STRUCTURES).setBackupCount(1));
    config.addQueueConfig(new QueueConfig(LEASE_STRUCTURES).setBackupCount(1));
    config.addMapConfig(attemptCounters());
    // Outage mode with a separate hub: the location's copy of its enrolled hosts and the placements made while the
    // hub cannot be reached. A backup on another member, so that the node that dies takes none of them along.
    config.addMapConfig(new MapConfig(OUTAGE_STRUCTURES).setBackupCount(1));
    return config;
  }

  /**
   * Failed sign-in counts of the whole site, so that spreading guesses over the nodes does not
   * multiply a limit. A backup on another member keeps them when a node dies. Never evicted to make room: an entry
   * leaves when its window ends (a time-to-live set on each write), so spraying other keys cannot make the site
   * forget one.
   */
  private static MapConfig attemptCounters() {
    MapConfig counters = new MapConfig(HazelcastAttemptCounters.MAP_NAME).setBackupCount(1);
    counters.getEvictionConfig().setEvictionPolicy(EvictionPolicy.NONE);
    return counters;
  }
}
