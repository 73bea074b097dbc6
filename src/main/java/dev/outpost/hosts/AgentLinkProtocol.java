package dev.outpost.hosts;

import dev.outpost.wire.SchemaVersion;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Wire constants of the agent link (schema v1, {@code docs/protocols/agent-link.md}): paths, message types,
 * commands and the close codes both ends use. Every message is one JSON object in one text message with
 * {@code v} (the schema version) and {@code type}; unknown fields are ignored, versions read as {@link SchemaVersion}
 * says.
 */
public final class AgentLinkProtocol {

  public static final int VERSION = 1;
  /** Mount point of the agent API on the appliance's HTTPS port. */
  public static final String MOUNT = "/agent/v1";
  public static final String ENROLL_PATH = "/enroll";
  public static final String LINK_PATH = "/link";
  /** Optional header on the link upgrade: the host id the agent believes it is; must match its certificate. */
  public static final String HOST_ID_HEADER = "X-Outpost-Host-Id";
  /** Largest message either end accepts; a bigger one closes the link with {@link LinkStatus#TOO_BIG}. */
  public static final int MAX_MESSAGE_BYTES = 64 * 1024;
  /** The organisational unit of every agent client certificate. */
  public static final String CERTIFICATE_OU = "outpost-agent";
  /** A host's name as enrolled. */
  public static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Where the gateway reaches a host: an IP address or DNS name. */
  public static final Pattern HOST_ADDRESS = Pattern.compile("[A-Za-z0-9][A-Za-z0-9.:-]{0,252}");

  public static final String REGISTER = "register";
  public static final String HEARTBEAT = "heartbeat";
  public static final String REGISTERED = "registered";
  public static final String COMMAND = "command";
  public static final String COMMAND_RESULT = "command-result";
  /**
   * Appliance to agent, when the site's appliances changed: {@code appliances}, the HTTPS URLs of the location's
   * appliances in the order this host should try them (also sent in {@code registered}).
   */
  public static final String APPLIANCES = "appliances";
  /** Most appliance URLs one message carries. */
  public static final int MAX_APPLIANCES = 32;
  /**
   * Agent to appliance: {@code id} and {@code csr}, a PEM PKCS#10 request for a new key pair made on the host; the
   * appliance answers {@link #RENEWED} or {@link #RENEW_REFUSED} with the same {@code id}.
   */
  public static final String RENEW = "renew";
  /** Appliance to agent: {@code id}, {@code certificate} (the host's new client certificate) and {@code ca}. */
  public static final String RENEWED = "renewed";
  /** Appliance to agent: {@code id} and {@code detail}; the agent keeps its certificate and tries again later. */
  public static final String RENEW_REFUSED = "renew-refused";
  /**
   * Appliance to agent, when the site's CAs changed (a rotation began or its overlap ended): {@code ca}, the site
   * CAs to trust from now on (PEM, the issuing one first), and {@code renew}, whether to renew the client
   * certificate now (it comes from a CA that is being retired). {@code registered} carries the same fields, and
   * {@code renewAt}: the percent of its lifetime after which the agent renews its certificate.
   */
  public static final String TRUST = "trust";
  /** Field of {@link #REGISTERED} and {@link #TRUST}: PEM certificates of the site CAs to trust. */
  public static final String CA = "ca";

  private AgentLinkProtocol() {
  }

  /** A message of this type with the schema version set. */
  public static JsonObject message(String type) {
    return SchemaVersion.stamp(new JsonObject(), VERSION).put("type", type);
  }

  /** Why this end must not read {@code message} (another major schema version), or empty; see {@link SchemaVersion}. */
  public static Optional<String> refusal(JsonObject message) {
    return SchemaVersion.refusal(message, VERSION, "agent-link");
  }


  /** What the appliance may ask an agent to do. */
  public enum Command {
    /** Take no new sessions; existing ones continue. */
    DRAIN,
    /** Take new sessions again. */
    UNDRAIN,
    /** End a session ({@code sessionId}). */
    LOGOFF,
    /** Disconnect a session's user, keeping the session ({@code sessionId}). */
    DISCONNECT;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the command acts on one session and so needs {@code sessionId}. */
    public boolean needsSession() {
      return this == LOGOFF || this == DISCONNECT;
    }

    public static Optional<Command> parse(Object name) {
      return Arrays.stream(values()).filter(c -> c.wireName().equals(name)).findFirst();
    }
  }

  /**
   * Why a link ends, as a WebSocket close code and the HTTP status the same refusal has before the upgrade.
   * Codes 4xxx are Outpost's own, mirroring the HTTP status in their last three digits.
   */
  public enum LinkStatus {
    NORMAL(1000, 200),
    GOING_AWAY(1001, 503),
    PROTOCOL_ERROR(1002, 400),
    UNSUPPORTED_DATA(1003, 415),
    INVALID_PAYLOAD(1007, 400),
    TOO_BIG(1009, 413),
    SERVER_ERROR(1011, 500),
    UNAUTHORIZED(4401, 401),
    FORBIDDEN(4403, 403),
    SILENT(4408, 408),
    REPLACED(4409, 409),
    /**
     * The appliance is draining (rolling upgrade): link to the next appliance of the list at once, without
     * back-off. The host stays registered meanwhile. Older agents treat it as any lost link.
     */
    RELINK(4307, 307);

    private final short closeCode;
    private final int httpStatus;

    LinkStatus(int closeCode, int httpStatus) {
      this.closeCode = (short) closeCode;
      this.httpStatus = httpStatus;
    }

    public short closeCode() {
      return closeCode;
    }

    public int httpStatus() {
      return httpStatus;
    }

    public static Optional<LinkStatus> ofCloseCode(Short code) {
      return code == null ? Optional.empty()
          : Arrays.stream(values()).filter(s -> s.closeCode == code).findFirst();
    }
  }

  /** A close reason cut to the 123 bytes a close frame can carry. */
  public static String closeReason(String reason) {
    byte[] bytes = reason.getBytes(StandardCharsets.UTF_8);
    if (bytes.length <= 123) {
      return reason;
    }
    String cut = reason;
    while (cut.getBytes(StandardCharsets.UTF_8).length > 120) {
      cut = cut.substring(0, cut.length() - 1);
    }
    return cut + "...";
  }
}
