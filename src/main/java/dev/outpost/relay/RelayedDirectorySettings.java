package dev.outpost.relay;

import dev.outpost.identity.directory.DirectoryOperations;
import dev.outpost.identity.directory.DirectorySettings;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/** This appliance's location's directory settings, read from the hub over the tunnel (secrets included). */
public final class RelayedDirectorySettings implements Supplier<Future<List<DirectorySettings>>> {

  private final HubChannel hub;

  public RelayedDirectorySettings(HubChannel hub) {
    this.hub = Objects.requireNonNull(hub);
  }

  @Override
  public Future<List<DirectorySettings>> get() {
    return hub.request(DirectoryOperations.SETTINGS, new JsonObject())
        .map(json -> json.getJsonArray("items").stream().map(o -> DirectorySettings.fromWireJson((JsonObject) o))
            .toList());
  }
}
