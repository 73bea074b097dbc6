package dev.outpost.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches who leads the cluster as this node sees it (the oldest member, which runs the once-per-site duties) and
 * reports it: {@code outpost_cluster_leader_changes_total} counts every time another member became the leader
 * after this node joined, {@code outpost_cluster_leader} is 1 while this node leads, and
 * {@code outpost_cluster_members} is how many members this node sees. A leader change also goes to the log.
 */
public final class LeaderWatch implements MembershipListener {

  private static final Logger LOG = LoggerFactory.getLogger(LeaderWatch.class);

  private final Counter changes;
  private UUID leader;
  private volatile boolean leading;
  private volatile int members;

  private LeaderWatch(MeterRegistry registry) {
    changes = Counter.builder("outpost.cluster.leader.changes")
        .description("Times another member became the cluster's leader, as this node saw it").register(registry);
    Gauge.builder("outpost.cluster.leader", this, watch -> watch.leading ? 1 : 0)
        .description("1 while this node is the cluster's leader (its oldest member), else 0").register(registry);
    Gauge.builder("outpost.cluster.members", this, watch -> watch.members)
        .description("Members of the cluster this node sees, itself included").register(registry);
  }

  /** Starts watching the member's cluster and registers the metrics. */
  public static LeaderWatch start(HazelcastInstance member, MeterRegistry registry) {
    Objects.requireNonNull(member);
    LeaderWatch watch = new LeaderWatch(Objects.requireNonNull(registry));
    member.getCluster().addMembershipListener(watch);
    watch.seen(member.getCluster().getMembers(), false);
    return watch;
  }

  /** How many leader changes this node has seen since it started. */
  public long changes() {
    return (long) changes.count();
  }

  @Override
  public void memberAdded(MembershipEvent event) {
    seen(event.getMembers(), true);
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    seen(event.getMembers(), true);
  }

  /** Takes the membership after a change; members are in join order, so the first one leads. */
  private synchronized void seen(Set<Member> current, boolean change) {
    Iterator<Member> order = current.iterator();
    if (!order.hasNext()) {
      return;
    }
    Member oldest = order.next();
    members = current.size();
    leading = oldest.localMember();
    if (oldest.getUuid().equals(leader)) {
      return;
    }
    boolean first = leader == null;
    leader = oldest.getUuid();
    if (change && !first) {
      changes.increment();
      LOG.atInfo().addKeyValue("leader", oldest.getAttribute("outpost.node"))
          .log("The cluster's leader is now node {} at {}{}", oldest.getAttribute("outpost.node"),
              oldest.getAddress(), leading ? " (this node)" : "");
    }
  }
}
