package dev.outpost.relay;

import dev.outpost.wire.SchemaVersion;
import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * The appliance-to-hub tunnel: one WebSocket per appliance node, opened by the appliance (outbound only),
 * carrying JSON text frames {@code {"v":1,"type":...}}. Unknown fields are ignored so that versions can mix.
 *
 * <pre>
 * appliance -> hub   hello   {node, location, version}
 * hub -> appliance   welcome {hub, time}
 * appliance -> hub   ping    {seq}
 * hub -> appliance   pong    {seq, time}
 * either way         req     {id, op, body}        answered by exactly one
 * either way         res     {id, status, body | problem, detail}
 * </pre>
 */
public final class TunnelProtocol {

  public static final int VERSION = 1;
  /**
   * Largest message either side accepts: answers such as the host list of a large site are big, and a
   * message over the limit would be dropped (its request then times out). Messages are sent in frames of
   * at most 64 KiB.
   */
  public static final int MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
  public static final String PATH = "/hub/v1/tunnel";
  public static final String HELLO = "hello";
  public static final String WELCOME = "welcome";
  public static final String PING = "ping";
  public static final String PONG = "pong";
  /**
   * Appliance to hub, a request: {@code {csr}} (a PEM PKCS#10 request for a new key pair of the appliance) {@code ->
   * {certificate, ca}}: the hub certifies it for the appliance whose connector certificate authenticated the tunnel,
   * as that certificate names it, and names the hub CAs to trust.
   */
  public static final String RENEW_CONNECTOR = "connector.renew";
  /** A request expecting one response; see {@link TunnelChannel}. */
  public static final String REQUEST = "req";
  public static final String RESPONSE = "res";
  /** Close code when the appliance's credentials are refused. */
  public static final short CLOSE_UNAUTHORIZED = 4401;
  /** Close code for a frame that breaks the protocol. */
  public static final short CLOSE_PROTOCOL = 4400;

  private TunnelProtocol() {
  }

  public static JsonObject message(String type) {
    return SchemaVersion.stamp(new JsonObject(), VERSION).put("type", type);
  }

  /** Why this end must not read {@code message} (another major schema version), or empty; see {@link SchemaVersion}. */
  public static Optional<String> refusal(JsonObject message) {
    return SchemaVersion.refusal(message, VERSION, "hub tunnel");
  }

}
