package dev.outpost.hosts;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** The agents linked to this appliance node right now, for operators. Safe to call from any thread. */
public interface AgentDirectory {

  /** One live agent link. {@code lastHeartbeat} is null until the first heartbeat after registration. */
  record LinkedAgent(String hostId, String name, String poolId, String address, String remoteAddress,
      String version, Instant since, Instant lastHeartbeat) {

    public LinkedAgent {
      Objects.requireNonNull(hostId);
      Objects.requireNonNull(since);
    }

    public JsonObject toJson() {
      return new JsonObject().put("hostId", hostId).put("name", name).put("poolId", poolId).put("address", address)
          .put("remoteAddress", remoteAddress).put("version", version).put("since", since.toString())
          .put("lastHeartbeat", lastHeartbeat == null ? null : lastHeartbeat.toString());
    }
  }

  /** The registered links, ordered by host name. */
  List<LinkedAgent> linked();

  /** A directory with nothing in it, for nodes without an agent endpoint. */
  static AgentDirectory none() {
    return List::of;
  }
}
