package dev.outpost.hosts;

import dev.outpost.crypto.Fingerprints;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The order in which one session host's agent tries the appliances of its site. Rendezvous hashing: each
 * appliance gets the weight SHA-256(host id, URL) and the agent tries them by falling weight. Every host gets its
 * own order, so agents start on different nodes (an agent starts at the head of its stored list), and when a node
 * dies, the agents that were on it move to different next nodes instead of all to the same one; adding or
 * removing a node changes the order of the others for no host.
 */
public final class ApplianceOrder {

  private ApplianceOrder() {
  }

  /** {@code urls} (duplicates dropped, at most {@link AgentLinkProtocol#MAX_APPLIANCES}) in {@code hostId}'s order. */
  public static List<String> forHost(String hostId, Collection<String> urls) {
    return new LinkedHashSet<>(urls).stream()
        .sorted(Comparator.comparing((String url) -> weight(hostId, url)).reversed().thenComparing(url -> url))
        .limit(AgentLinkProtocol.MAX_APPLIANCES)
        .toList();
  }

  private static String weight(String hostId, String url) {
    return HexFormat.of().formatHex(Fingerprints.sha256((hostId + "\n" + url).getBytes(StandardCharsets.UTF_8)));
  }
}
