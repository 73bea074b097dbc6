package dev.outpost.gateway.impl;

import dev.outpost.wire.SchemaVersion;
import dev.outpost.error.OutpostException;
import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import dev.outpost.http.RequestContext;
import dev.outpost.identity.LoginService;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code wss://appliance:8443/gateway}: the first text frame is {@code {"v":1,"ticket":"..."}}; the gateway answers
 * {@code {"v":1,"status":200,"sessionId":"..."}} and from then on binary frames carry the stream. Refusals close
 * the WebSocket with {@code 4000 + status} and the detail as reason. An {@code Authorization: Bearer} header on the
 * upgrade request is optional; when present, its user must own the ticket.
 */
public final class WebSocketGateway {

  private static final Logger LOG = LoggerFactory.getLogger(WebSocketGateway.class);
  /** Wire schema version of the handshake frames. */
  public static final int VERSION = 1;
  /** The longest close reason a WebSocket close frame can hold, in bytes. */
  private static final int MAX_REASON = 123;

  /** Tells whose a bearer token is. */
  @FunctionalInterface
  public interface Bearers {
    /** The user id of a signed-in token; fails with a {@link GatewayRefusal} (or 401) when it is not valid. */
    Future<String> userOf(String token);

    /** Checks tokens against this node's sign-ins. */
    static Bearers of(LoginService logins) {
      return token -> logins.authenticate(token)
          .recover(e -> Future.failedFuture(e instanceof OutpostException ? e
              : new GatewayRefusal(GatewayStatus.BUSY, "sign-ins cannot be checked right now", e)))
          .compose(principal -> principal == null
              ? Future.failedFuture(new GatewayRefusal(GatewayStatus.WRONG_USER,
                  "the bearer token has expired or was signed out"))
              : Future.succeededFuture(principal.userId()));
    }

    /** Does not check tokens: the hub does not know the appliances' sign-ins, and the ticket is the credential. */
    static Bearers ignored() {
      return token -> Future.succeededFuture(null);
    }
  }

  /** The query parameter naming the resource location of the ticket, at the hub's gateway. */
  public static final String LOCATION_PARAM = "location";

  private final Vertx vertx;
  private final SessionRelay relay;
  private final Bearers bearers;

  public WebSocketGateway(Vertx vertx, SessionRelay relay, Bearers bearers) {
    this.vertx = Objects.requireNonNull(vertx);
    this.relay = Objects.requireNonNull(relay);
    this.bearers = Objects.requireNonNull(bearers);
  }

  /** Handles {@code GET /gateway}: checks the optional bearer token, then upgrades. */
  public void handle(RoutingContext ctx) {
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"))) {
      ctx.fail(new GatewayRefusal(GatewayStatus.BAD_REQUEST,
          "the gateway is a WebSocket: connect with wss:// and send the ticket as the first text frame"));
      return;
    }
    HandshakeSlots.Admission admission = relay.handshakes().tryAcquire(RequestContext.clientAddress(ctx));
    if (admission.slot() == null) {
      relay.metrics().refused(GatewayStatus.BUSY);
      ctx.fail(admission.refusal());
      return;
    }
    HandshakeSlots.Slot slot = admission.slot();
    ctx.request().pause(); // the upgrade may wait for the token check; the request must not be consumed meanwhile
    bearerUser(ctx)
        .compose(userId -> ctx.request().toWebSocket().map(ws -> {
          new Handshake(ws, slot, userId, ctx.request().getParam(LOCATION_PARAM)).begin();
          return ws;
        }))
        .onFailure(e -> {
          slot.release();
          if (e instanceof GatewayRefusal refusal) {
            relay.metrics().refused(refusal.gatewayStatus());
          }
          if (!ctx.response().headWritten()) {
            ctx.fail(e);
          }
        });
  }

  /** The user of the bearer token sent with the upgrade, {@code null} when none was sent. */
  private Future<String> bearerUser(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null) {
      return Future.succeededFuture(null);
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Future.failedFuture(new GatewayRefusal(GatewayStatus.WRONG_USER,
          "the Authorization header must be 'Bearer <token>'"));
    }
    return bearers.userOf(header.substring(7).trim());
  }

  /** One WebSocket until it has a stream or is refused. */
  private final class Handshake extends PendingHandshake {
    private final ServerWebSocket ws;
    private final String userId;
    private final String location;

    Handshake(ServerWebSocket ws, HandshakeSlots.Slot slot, String userId, String location) {
      super(WebSocketGateway.this.vertx, WebSocketGateway.this.relay, slot);
      this.ws = ws;
      this.userId = userId;
      this.location = location;
    }

    @Override
    void onClientClose(Runnable handler) {
      ws.closeHandler(v -> handler.run());
    }

    @Override
    void listen() {
      ws.frameHandler(this::firstFrame);
    }

    @Override
    boolean clientGone() {
      return ws.isClosed();
    }

    private void firstFrame(WebSocketFrame frame) {
      if (done() || !(frame.isText() || frame.isBinary() || frame.isContinuation())) {
        return; // pings and pongs before the ticket
      }
      ws.pause();
      ws.frameHandler(null);
      String ticket = ticket(frame);
      if (ticket == null) {
        fail(new GatewayRefusal(GatewayStatus.BAD_REQUEST,
            "the first frame must be the text {\"v\":" + VERSION + ",\"ticket\":\"...\"}"));
        return;
      }
      open(new StreamOpener.Request(ticket, userId, location), null);
    }

    @Override
    void accepted(String sessionId) {
      ws.writeTextMessage(SchemaVersion.stamp(new JsonObject(), VERSION).put("status", 200).put("sessionId", sessionId)
          .encode());
    }

    private String ticket(WebSocketFrame frame) {
      if (!frame.isText() || !frame.isFinal()) {
        return null;
      }
      try {
        JsonObject hello = new JsonObject(frame.textData());
        Object ticket = hello.getValue("ticket");
        return SchemaVersion.refusal(hello, VERSION, "gateway").isEmpty() && ticket instanceof String text
            && !text.isBlank() && text.length() < 512 ? text : null;
      } catch (DecodeException | ClassCastException e) {
        return null;
      }
    }

    @Override
    Splice.End clientSide() {
      return StreamEnds.of(ws);
    }

    @Override
    void refuse(GatewayRefusal refusal) {
      relay.metrics().refused(refusal.gatewayStatus());
      LOG.debug("WebSocket gateway refused {}: {} {}", ws.remoteAddress(), refusal.status(), refusal.detail());
      if (!ws.isClosed()) {
        ws.close(refusal.gatewayStatus().closeCode(), reason(refusal.detail()));
      }
    }
  }

  /** The detail cut to fit a close frame (123 bytes of UTF-8). */
  static String reason(String detail) {
    String text = detail;
    while (text.getBytes(StandardCharsets.UTF_8).length > MAX_REASON) {
      text = text.substring(0, text.length() - 1);
    }
    return text;
  }
}
