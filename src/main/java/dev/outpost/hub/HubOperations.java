package dev.outpost.hub;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/** The operations the hub offers appliances over their tunnels, scoped to the calling appliance. */
@FunctionalInterface
public interface HubOperations {

  /** Who is calling: the resource location the tunnel was authenticated for, and the appliance node. */
  record Caller(String location, String node, ApplianceChannel channel) {
  }

  /** Sends requests down to one appliance node (e.g. commands for its agents). */
  interface ApplianceChannel {
    Future<JsonObject> request(String op, JsonObject body);

    /** The client certificate the appliance authenticated its tunnel with; empty when it used none. */
    default java.util.Optional<java.security.cert.X509Certificate> certificate() {
      return java.util.Optional.empty();
    }
  }

  /** The handler of operation {@code op} for this caller, or {@code null} when there is no such operation. */
  Function<JsonObject, Future<JsonObject>> operation(Caller caller, String op);

  /** The first of these that knows the operation handles it. */
  static HubOperations of(HubOperations... parts) {
    java.util.List<HubOperations> all = java.util.List.of(parts);
    return (caller, op) -> all.stream().map(p -> p.operation(caller, op)).filter(java.util.Objects::nonNull)
        .findFirst().orElse(null);
  }

  /** No operations beyond the tunnel's own control messages. */
  static HubOperations none() {
    return (caller, op) -> null;
  }
}
