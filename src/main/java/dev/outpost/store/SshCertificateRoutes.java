package dev.outpost.store;

import dev.outpost.broker.BrokerClient;
import dev.outpost.broker.BrokerModels.ResourceView;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.crypto.SshUserCa;
import dev.outpost.error.ClientErrorException;
import dev.outpost.http.JsonBodies;
import dev.outpost.identity.AuthHandler;
import dev.outpost.identity.LoginService;
import dev.outpost.identity.Principal;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.sshd.common.config.keys.PublicKeyEntry;

/**
 * The site's SSH user CA for users and hosts: {@code GET /ssh-user-ca} answers its public key line (for a host's
 * {@code TrustedUserCAKeys}; public, like a CA certificate), and {@code POST /resources/{id}/ssh-certificate} signs
 * the signed-in user's own public key for the host login of a resource they are entitled to, for minutes, so that
 * {@code outpost client ssh} logs in without a host password. See docs/browser-sessions.md.
 */
public final class SshCertificateRoutes {

  private static final int MAX_KEY_LINE = 8 * 1024;

  private final LoginService logins;
  private final BrokerClient broker;
  private final Supplier<SshUserCa> ca;
  private final Clock clock;

  public SshCertificateRoutes(LoginService logins, BrokerClient broker, SshUserCa ca, Clock clock) {
    this(logins, broker, () -> ca, clock);
  }

  /** Signs with the SSH user CA of the site CA that issues now (it changes with a site CA rotation). */
  public SshCertificateRoutes(LoginService logins, BrokerClient broker, Supplier<SshUserCa> ca, Clock clock) {
    this.logins = Objects.requireNonNull(logins);
    this.broker = Objects.requireNonNull(broker);
    this.ca = Objects.requireNonNull(ca);
    this.clock = Objects.requireNonNull(clock);
  }

  public void mount(Router api) {
    api.get("/ssh-user-ca").handler(ctx -> ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8")
        .putHeader("Cache-Control", "no-cache").end(ca.get().publicKeyLine() + "\n"));
    api.post("/resources/:id/ssh-certificate").handler(AuthHandler.signedIn(logins)).handler(this::certificate);
  }

  /** {@code {"publicKey":"ssh-ed25519 AAAA..."}} → {@code {"login","certificate","expiresAt"}}. */
  private void certificate(RoutingContext ctx) {
    String resource = ctx.pathParam("id");
    Principal principal = AuthHandler.principal(ctx);
    PublicKey key;
    try {
      key = publicKey(JsonBodies.object(ctx).getValue("publicKey"));
    } catch (ClientErrorException e) {
      ctx.fail(e);
      return;
    }
    broker.resources(new UserRef(principal.userId(), principal.username(), principal.directoryGroups()))
        .compose(list -> hostLogin(list.stream().filter(v -> v.resource().id().equals(resource)
            || v.resource().name().equals(resource)).findFirst().orElse(null), resource))
        .map(login -> {
          Instant now = clock.instant();
          Instant until = now.plus(SshUserCa.DEFAULT_VALIDITY);
          String certificate = ca.get().certify(key, "outpost user " + principal.userId() + " (" + principal.username()
              + ")", login, now, SshUserCa.DEFAULT_VALIDITY);
          return new JsonObject().put("login", login).put("certificate", certificate)
              .put("expiresAt", until.toString());
        })
        .onSuccess(body -> LaunchResponses.json(ctx, 200, body))
        .onFailure(ctx::fail);
  }

  private static Future<String> hostLogin(ResourceView view, String resource) {
    if (view == null) {
      return Future.failedFuture(ClientErrorException.notFound("no app or desktop '" + resource
          + "' is published to you"));
    }
    if (view.resource().hostLogin().isEmpty()) {
      return Future.failedFuture(ClientErrorException.conflict("'" + view.resource().name() + "' has no host "
          + "login: log in to its host with your own account and password or key"));
    }
    return Future.succeededFuture(view.resource().hostLogin());
  }

  private static PublicKey publicKey(Object value) throws ClientErrorException {
    if (!(value instanceof String line) || line.isBlank() || line.length() > MAX_KEY_LINE) {
      throw ClientErrorException.badRequest("send {\"publicKey\": \"<an OpenSSH public key line>\"}");
    }
    try {
      PublicKeyEntry entry = PublicKeyEntry.parsePublicKeyEntry(line.strip());
      PublicKey key = entry == null ? null : entry.resolvePublicKey(null, Map.of(), null);
      if (key == null) {
        throw ClientErrorException.badRequest("publicKey is not an OpenSSH public key line");
      }
      return key;
    } catch (ClientErrorException e) {
      throw e;
    } catch (Exception e) {
      throw ClientErrorException.badRequest("publicKey cannot be read: " + e.getMessage());
    }
  }
}
