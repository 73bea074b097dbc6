package dev.outpost.cluster;

import dev.outpost.wire.SchemaVersion;
import java.util.concurrent.TimeUnit;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** What this node sees of its cluster, for health checks and {@code /admin/api/v1/nodes}. */
public final class ClusterView {

  private final HazelcastInstance hazelcast;
  private final ClusterSeal seal;

  /** @param seal seals each node's published status, so that no other program can pass one off */
  public ClusterView(HazelcastInstance hazelcast, ClusterSeal seal) {
    this.hazelcast = java.util.Objects.requireNonNull(hazelcast);
    this.seal = java.util.Objects.requireNonNull(seal);
  }

  public boolean running() {
    return hazelcast.getLifecycleService().isRunning();
  }

  public int size() {
    return hazelcast.getCluster().getMembers().size();
  }

  /** The cluster's name, for admins only: it must not be shown to anyone unauthenticated. */
  public String clusterName() {
    return hazelcast.getConfig().getClusterName();
  }

  /** Where each node publishes its state for the others' {@code /admin/api/v1/nodes}; reads are local. */
  public static final String STATUS_MAP = "outpost.nodes.status";

  /** Major schema version of the published node status. */
  public static final int STATUS_VERSION = 1;

  /** Publishes this node's state (mode, hub link, load) for every member's node list; call periodically. */
  public void publishStatus(String nodeId, JsonObject status) {
    hazelcast.<String, String>getReplicatedMap(STATUS_MAP).put(nodeId, seal.seal(STATUS_MAP, nodeId,
        SchemaVersion.stamp(status.copy(), STATUS_VERSION).encode()), 30, TimeUnit.SECONDS);
  }

  /** Members in join order; the oldest member is the one that runs once-per-site duties. */
  public JsonArray members() {
    JsonArray members = new JsonArray();
    Member oldest = hazelcast.getCluster().getMembers().iterator().next();
    for (Member member : hazelcast.getCluster().getMembers()) {
      members.add(new JsonObject()
          .put("id", member.getUuid().toString())
          .put("address", member.getAddress().getHost() + ":" + member.getAddress().getPort())
          .put("local", member.localMember())
          .put("leader", member.equals(oldest))
          .put("version", member.getAttribute("outpost.version"))
          .put("node", member.getAttribute("outpost.node"))
          .put("name", member.getAttribute(NodeIdentity.NAME_ATTRIBUTE))
          .put("role", member.equals(oldest) ? "leader" : "member")
          .put("status", status(member.getAttribute("outpost.node"))));
    }
    return members;
  }

  private JsonObject status(String nodeId) {
    String published = nodeId == null ? null : seal.open(STATUS_MAP, nodeId,
        hazelcast.<String, String>getReplicatedMap(STATUS_MAP).get(nodeId)).orElse(null);
    return published == null ? new JsonObject().put("health", "unknown") : readStatus(new JsonObject(published));
  }

  /** A published status as {@code /admin/api/v1/nodes} shows it; one of another major version shows as unknown. */
  public static JsonObject readStatus(JsonObject published) {
    return SchemaVersion.refusal(published, STATUS_VERSION, "node status")
        .map(reason -> new JsonObject().put("health", "unknown").put("detail", reason))
        .orElse(published);
  }
}
