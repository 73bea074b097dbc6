package dev.outpost.gateway;

import dev.outpost.wire.SchemaVersion;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * Wire constants of the hub rendezvous (see docs/protocols/gateway.md): the hub asks an appliance of the ticket's
 * resource location, over that appliance's outbound tunnel, to open the stream; the appliance consumes the ticket,
 * connects to the session host, and dials a data channel back to the hub whose first text frame names the
 * rendezvous.
 */
public final class RendezvousProtocol {

  /** Schema version of the open request and the data channel's first frame. */
  public static final int VERSION = 1;
  /** Tunnel operation the hub sends down: {@code {"v":1,"ticket":"...","rendezvous":"..."}}. */
  public static final String OPEN = "gateway.open";
  /** Where appliances dial data channels on the hub (mTLS, like the tunnel). */
  public static final String DATA_PATH = "/gateway/data";

  private RendezvousProtocol() {
  }

  /** A rendezvous message (open request or data channel hello) with the schema version set. */
  public static JsonObject message() {
    return SchemaVersion.stamp(new JsonObject(), VERSION);
  }

  /** Why this end must not read {@code message} (another major schema version), or empty; see {@link SchemaVersion}. */
  public static Optional<String> refusal(JsonObject message) {
    return SchemaVersion.refusal(message, VERSION, "rendezvous");
  }

}
