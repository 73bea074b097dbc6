package dev.outpost.gateway.impl;

import dev.outpost.crypto.SecureTokens;
import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import dev.outpost.gateway.TerminalRecorder;
import dev.outpost.gateway.TicketStore.Ticket;
import dev.outpost.http.RequestContext;
import dev.outpost.wire.SchemaVersion;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code wss://appliance:8443/gateway/terminal}: the browser terminal's entry. It takes a launch ticket like the
 * byte gateway ({@code {"v":1,"ticket":"...","login":"...","password":"..."}}, or a {@code privateKey}), consumes
 * it the same way, and instead of splicing bytes to the host's port it logs in with SSH (see
 * {@link SshTerminals}) and carries the shell: binary frames both ways, text frames for control. The stream is an
 * ordinary gateway stream: counted, reported to the broker, cut by a log-off, closed when idle. A page whose socket
 * dropped resumes with {@code {"v":1,"resume":"..."}} on the same node. The {@link TerminalRecorder} records the
 * terminals of pools whose policy says so. See docs/browser-sessions.md.
 */
public final class TerminalGateway {

  private static final Logger LOG = LoggerFactory.getLogger(TerminalGateway.class);
  /** Wire schema version of the handshake frames. */
  public static final int VERSION = 1;
  /** A host login as sshd takes it (POSIX-ish user names; no spaces, no shell metacharacters). */
  private static final Pattern LOGIN = Pattern.compile("[A-Za-z0-9._][A-Za-z0-9._@-]{0,63}");
  private static final int MAX_SECRET = 16 * 1024;

  /** Gives the credential for a consumed ticket when the site logs in for the user (its SSH user CA). */
  @FunctionalInterface
  public interface SiteLogins {
    /** The login and credential for this ticket, or {@code null} when the user must give them. */
    Future<SiteLogin> forTicket(Ticket ticket);

    /** No site logins: the user always types a password or pastes a key. */
    SiteLogins NONE = ticket -> Future.succeededFuture(null);
  }

  /** A host login the site chose and the credential it made for it. */
  public record SiteLogin(String login, SshTerminals.Credential credential) {
  }

  private final Vertx vertx;
  private final SessionRelay relay;
  private final HostDialer tickets;
  private final SshTerminals ssh;
  private final SiteLogins siteLogins;
  private final TerminalRecorder recorder;
  private final Map<String, TerminalLink> links = new ConcurrentHashMap<>();

  public TerminalGateway(Vertx vertx, SessionRelay relay, HostDialer tickets, SshTerminals ssh,
      SiteLogins siteLogins, TerminalRecorder recorder) {
    this.vertx = Objects.requireNonNull(vertx);
    this.relay = Objects.requireNonNull(relay);
    this.tickets = Objects.requireNonNull(tickets);
    this.ssh = Objects.requireNonNull(ssh);
    this.siteLogins = Objects.requireNonNull(siteLogins);
    this.recorder = Objects.requireNonNull(recorder);
  }

  /** Handles {@code GET /gateway/terminal}: upgrades, then waits for the ticket or a resume token. */
  public void handle(RoutingContext ctx) {
    if (!"websocket".equalsIgnoreCase(ctx.request().getHeader("Upgrade"))) {
      ctx.fail(new GatewayRefusal(GatewayStatus.BAD_REQUEST,
          "the terminal gateway is a WebSocket: the store's terminal page connects to it"));
      return;
    }
    HandshakeSlots.Admission admission = relay.handshakes().tryAcquire(RequestContext.clientAddress(ctx));
    if (admission.slot() == null) {
      relay.metrics().refused(GatewayStatus.BUSY);
      ctx.fail(admission.refusal());
      return;
    }
    HandshakeSlots.Slot slot = admission.slot();
    ctx.request().toWebSocket()
        .onSuccess(ws -> new Handshake(ws, slot).begin())
        .onFailure(e -> {
          slot.release();
          if (!ctx.response().headWritten()) {
            ctx.fail(e);
          }
        });
  }

  /** Terminals on this node that a page could resume now. */
  public int resumable() {
    return links.size();
  }

  /** The first frame of a terminal socket, read. */
  private record Hello(String ticket, String resume, String login, SshTerminals.Credential credential,
      SshTerminals.Size size) {
  }

  /** One terminal socket until it carries a shell or is refused. */
  private final class Handshake extends PendingHandshake {
    private final ServerWebSocket ws;
    private final Context context = vertx.getOrCreateContext();
    private RecordedShell shell;
    private String login;
    private boolean recorded;

    Handshake(ServerWebSocket ws, HandshakeSlots.Slot slot) {
      super(TerminalGateway.this.vertx, TerminalGateway.this.relay, slot);
      this.ws = ws;
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
        return;
      }
      ws.pause();
      ws.frameHandler(null);
      Hello hello;
      try {
        hello = hello(frame);
      } catch (GatewayRefusal refusal) {
        fail(refusal);
        return;
      }
      if (hello.resume() != null) {
        resume(hello.resume());
        return;
      }
      open(new StreamOpener.Request(hello.ticket(), null, null), null, request -> tickets.ticket(request)
          .compose(ticket -> loginFor(ticket, hello)
              .compose(site -> {
                login = site.login();
                return ssh.open(context, ticket.hostAddress(), ticket.port(), site.login(), site.credential(),
                    hello.size());
              })
              .map(opened -> {
                recorded = ticket.record();
                shell = new RecordedShell(new SshShellEnd(context, opened), recorder.start(ticket, login,
                    hello.size().cols(), hello.size().rows()));
                return new StreamOpener.Opened(ticket.sessionId(), shell);
              })));
    }

    /** The site's login for the ticket (SSH user CA) when it has one, else what the user typed. */
    private Future<SiteLogin> loginFor(Ticket ticket, Hello hello) {
      return siteLogins.forTicket(ticket).compose(site -> {
        if (site != null) {
          return Future.succeededFuture(site);
        }
        if (hello.login() == null || hello.credential() == null) {
          return Future.failedFuture(new GatewayRefusal(GatewayStatus.BAD_REQUEST,
              "this host needs a login: give the host user and its password or private key"));
        }
        return Future.succeededFuture(new SiteLogin(hello.login(), hello.credential()));
      });
    }

    private void resume(String token) {
      TerminalLink link = links.get(token);
      if (link == null) {
        fail(new GatewayRefusal(GatewayStatus.UNKNOWN_TERMINAL,
            "this terminal is no longer kept on this node: open the app again"));
        return;
      }
      if (!settle()) {
        return;
      }
      link.attach(ws, () -> ws.writeTextMessage(SchemaVersion.stamp(new JsonObject(), VERSION)
          .put("status", 200).put("resumed", true).encode()), () -> refuse(new GatewayRefusal(
              GatewayStatus.UNKNOWN_TERMINAL, "this terminal has ended: open the app again")));
    }

    @Override
    void accepted(String sessionId) {
      LOG.atInfo().addKeyValue("sessionId", sessionId).addKeyValue("hostKey", shell.hostKey())
          .log("Browser terminal of session {} logged in to its host as {} (host key {})", sessionId, login,
              shell.hostKey());
    }

    @Override
    Splice.End clientSide() {
      String token = SecureTokens.random(24);
      TerminalLink link = new TerminalLink(vertx, context, token, shell::resize, () -> links.remove(token));
      links.put(token, link);
      link.attach(ws, () -> ws.writeTextMessage(SchemaVersion.stamp(new JsonObject(), VERSION).put("status", 200)
          .put("resume", token).put("login", login).put("hostKey", shell.hostKey()).put("recorded", recorded)
          .encode()), () -> { });
      return link;
    }

    @Override
    void refuse(GatewayRefusal refusal) {
      relay.metrics().refused(refusal.gatewayStatus());
      LOG.debug("Terminal gateway refused {}: {} {}", ws.remoteAddress(), refusal.status(), refusal.detail());
      if (!ws.isClosed()) {
        ws.close(refusal.gatewayStatus().closeCode(), WebSocketGateway.reason(refusal.detail()));
      }
    }

    private Hello hello(WebSocketFrame frame) throws GatewayRefusal {
      JsonObject json;
      try {
        json = frame.isText() && frame.isFinal() ? new JsonObject(frame.textData()) : null;
      } catch (DecodeException e) {
        json = null;
      }
      if (json == null || !SchemaVersion.refusal(json, VERSION, "terminal").isEmpty()) {
        throw new GatewayRefusal(GatewayStatus.BAD_REQUEST, "the first frame must be the text {\"v\":" + VERSION
            + ",\"ticket\":\"...\",...} or {\"v\":" + VERSION + ",\"resume\":\"...\"}");
      }
      String resume = text(json, "resume", 512);
      if (resume != null) {
        return new Hello(null, resume, null, null, null);
      }
      String ticket = text(json, "ticket", 512);
      if (ticket == null) {
        throw new GatewayRefusal(GatewayStatus.BAD_REQUEST, "the first frame has no ticket");
      }
      String login = text(json, "login", 64);
      if (login != null && !LOGIN.matcher(login).matches()) {
        throw new GatewayRefusal(GatewayStatus.BAD_REQUEST, "'" + login + "' is not a user name a host takes");
      }
      String password = text(json, "password", MAX_SECRET);
      String key = text(json, "privateKey", MAX_SECRET);
      SshTerminals.Credential credential = key != null
          ? new SshTerminals.Credential.KeyText(key, text(json, "passphrase", MAX_SECRET))
          : password != null ? new SshTerminals.Credential.Password(password) : null;
      return new Hello(ticket, null, login, credential,
          new SshTerminals.Size(number(json, "cols", 80), number(json, "rows", 24)));
    }
  }

  private static String text(JsonObject json, String field, int max) throws GatewayRefusal {
    Object value = json.getValue(field);
    if (value == null || (value instanceof String s && s.isEmpty())) {
      return null;
    }
    if (!(value instanceof String s) || s.length() > max) {
      throw new GatewayRefusal(GatewayStatus.BAD_REQUEST, "'" + field + "' must be a text of at most " + max
          + " characters");
    }
    return s;
  }

  private static int number(JsonObject json, String field, int fallback) {
    return json.getValue(field) instanceof Number n ? n.intValue() : fallback;
  }
}
