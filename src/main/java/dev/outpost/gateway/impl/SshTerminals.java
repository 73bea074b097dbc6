package dev.outpost.gateway.impl;

import dev.outpost.gateway.GatewayRefusal;
import dev.outpost.gateway.GatewayStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.channel.PtyChannelConfiguration;
import org.apache.sshd.common.channel.StreamingChannel;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * The appliance's SSH client for browser terminals (Apache MINA SSHD): logs in to a session host with what the
 * user typed (a password or a private key, used for this login only and never kept) or with a short-lived
 * certificate the site signed, and opens a shell on a pseudo-terminal. MINA works on its own I/O threads; every
 * answer is handed back on the caller's Vert.x context. One client serves every terminal of the node.
 */
public final class SshTerminals implements AutoCloseable {

  /** The terminal type announced to the host: what xterm.js emulates. */
  static final String TERM = "xterm-256color";
  /** Keeps the shell in UTF-8 where the host's sshd accepts the variable ({@code AcceptEnv LANG}). */
  static final Map<String, String> ENV = Map.of("LANG", "C.UTF-8");

  /** How the browser terminal logs in to the host. */
  public sealed interface Credential {
    /** A password typed in the terminal page. */
    record Password(String password) implements Credential {
      @Override
      public String toString() {
        return "Password[***]";
      }
    }

    /** A private key (OpenSSH or PEM text) pasted or picked in the terminal page, and its passphrase if any. */
    record KeyText(String text, String passphrase) implements Credential {
      @Override
      public String toString() {
        return "KeyText[***]";
      }
    }

    /** Key pairs ready to offer, e.g. a fresh key whose public half is a certificate signed by the site. */
    record Keys(List<KeyPair> keys) implements Credential {
    }
  }

  /** The size of the terminal in characters. */
  public record Size(int cols, int rows) {
    /** Keeps sizes in a sane range whatever the page sends. */
    public Size {
      cols = Math.max(10, Math.min(cols, 1000));
      rows = Math.max(2, Math.min(rows, 500));
    }
  }

  /** An open shell and what the page may show about it. */
  record Shell(ClientSession session, ChannelShell channel, String hostKey) {
  }

  private final Future<SshClient> client;

  private SshTerminals(Future<SshClient> client) {
    this.client = client;
  }

  /**
   * Starts the node's SSH client in the background (MINA takes seconds to set up its providers, which must not
   * hold an event loop). The host key is not checked against a list (the appliance has none yet): it is shown to
   * the user and logged with each terminal, see docs/browser-sessions.md.
   */
  public static SshTerminals start(Vertx vertx, Duration connectTimeout) {
    return new SshTerminals(vertx.executeBlocking(() -> client(connectTimeout), false));
  }

  private static SshClient client(Duration connectTimeout) {
    SshClient client = SshClient.setUpDefaultClient();
    // every host key is taken; the terminal's log line and the page show its fingerprint
    client.setServerKeyVerifier((session, remote, key) -> true);
    // the gateway closes idle streams itself (gateway.idle-timeout); MINA's own 10-minute idle close would
    // end a terminal someone is reading
    CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
    CoreModuleProperties.AUTH_TIMEOUT.set(client, connectTimeout.plusSeconds(20));
    CoreModuleProperties.IO_CONNECT_TIMEOUT.set(client, connectTimeout);
    // keeps firewalls between the appliance and the host from dropping a quiet terminal
    CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, Duration.ofSeconds(60));
    // keystrokes are single bytes: without this, Nagle's algorithm holds each one back behind the last unacked
    CoreModuleProperties.TCP_NODELAY.set(client, true);
    // a terminal needs little window: a smaller one bounds what MINA buffers for a slow browser
    CoreModuleProperties.WINDOW_SIZE.set(client, 256L * 1024);
    client.start();
    return client;
  }

  /**
   * Logs in to {@code host:port} as {@code login} and opens a shell of this size; fails with a
   * {@link GatewayRefusal} ({@link GatewayStatus#HOST_UNREACHABLE} or {@link GatewayStatus#LOGIN_REFUSED}).
   */
  Future<Shell> open(Context context, String host, int port, String login, Credential credential, Size size) {
    return client.compose(ssh -> keys(context, credential).compose(keys -> {
      Promise<Shell> promise = Promise.promise();
      Consumer<Runnable> onContext = action -> context.runOnContext(v -> action.run());
      try {
        ConnectFuture connecting = ssh.connect(login, host, port);
        connecting.addListener(f -> {
          if (!f.isConnected()) {
            onContext.accept(() -> promise.tryFail(new GatewayRefusal(GatewayStatus.HOST_UNREACHABLE,
                "the session host does not accept SSH on port " + port + " (" + message(f.getException()) + ")",
                f.getException())));
            return;
          }
          login(f.getClientSession(), credential, keys, size, promise, onContext);
        });
      } catch (IOException e) {
        promise.fail(new GatewayRefusal(GatewayStatus.HOST_UNREACHABLE, "cannot connect to the session host: "
            + e.getMessage(), e));
      }
      return promise.future();
    }));
  }

  private static void login(ClientSession session, Credential credential, List<KeyPair> keys, Size size,
      Promise<Shell> promise, Consumer<Runnable> onContext) {
    if (credential instanceof Credential.Password password) {
      session.addPasswordIdentity(password.password());
    }
    keys.forEach(session::addPublicKeyIdentity);
    try {
      session.auth().addListener(auth -> {
        if (!auth.isSuccess()) {
          session.close(true);
          onContext.accept(() -> promise.tryFail(new GatewayRefusal(GatewayStatus.LOGIN_REFUSED,
              "the session host refused the login " + session.getUsername() + " with "
                  + describe(credential) + "; check it and connect again", auth.getException())));
          return;
        }
        shell(session, size, promise, onContext);
      });
    } catch (IOException e) {
      session.close(true);
      onContext.accept(() -> promise.tryFail(new GatewayRefusal(GatewayStatus.HOST_UNREACHABLE,
          "the SSH login to the session host failed: " + e.getMessage(), e)));
    }
  }

  private static void shell(ClientSession session, Size size, Promise<Shell> promise,
      Consumer<Runnable> onContext) {
    try {
      PtyChannelConfiguration pty = new PtyChannelConfiguration();
      pty.setPtyType(TERM);
      pty.setPtyColumns(size.cols());
      pty.setPtyLines(size.rows());
      ChannelShell channel = session.createShellChannel(pty, ENV);
      channel.setStreaming(StreamingChannel.Streaming.Async);
      channel.open().addListener(open -> {
        if (!open.isOpened()) {
          session.close(true);
          onContext.accept(() -> promise.tryFail(new GatewayRefusal(GatewayStatus.HOST_UNREACHABLE,
              "the session host did not open a shell (" + message(open.getException()) + ")",
              open.getException())));
          return;
        }
        String hostKey = KeyUtils.getFingerPrint(session.getServerKey());
        onContext.accept(() -> {
          if (!promise.tryComplete(new Shell(session, channel, hostKey))) {
            session.close(true);
          }
        });
      });
    } catch (IOException e) {
      session.close(true);
      onContext.accept(() -> promise.tryFail(new GatewayRefusal(GatewayStatus.HOST_UNREACHABLE,
          "the session host did not open a shell: " + e.getMessage(), e)));
    }
  }

  /** The key pairs to offer; pasted key text is parsed off the event loop (a passphrase's KDF is slow on purpose). */
  private static Future<List<KeyPair>> keys(Context context, Credential credential) {
    if (credential instanceof Credential.Keys keys) {
      return Future.succeededFuture(keys.keys());
    }
    if (!(credential instanceof Credential.KeyText text)) {
      return Future.succeededFuture(List.of());
    }
    return context.executeBlocking(() -> parse(text), false);
  }

  private static List<KeyPair> parse(Credential.KeyText text) throws GatewayRefusal {
    List<KeyPair> keys = new ArrayList<>();
    try {
      Iterable<KeyPair> parsed = SecurityUtils.loadKeyPairIdentities(null, NamedResource.ofName("the pasted key"),
          new ByteArrayInputStream(text.text().getBytes(StandardCharsets.UTF_8)),
          text.passphrase() == null || text.passphrase().isEmpty() ? null
              : FilePasswordProvider.of(text.passphrase()));
      if (parsed != null) {
        parsed.forEach(keys::add);
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new GatewayRefusal(GatewayStatus.BAD_REQUEST, "the private key cannot be read (" + message(e)
          + "): paste an OpenSSH or PEM private key, with its passphrase if it has one", e);
    }
    if (keys.isEmpty()) {
      throw new GatewayRefusal(GatewayStatus.BAD_REQUEST,
          "no private key found in the text: paste an OpenSSH or PEM private key");
    }
    return keys;
  }

  private static String describe(Credential credential) {
    if (credential instanceof Credential.Password) {
      return "that password";
    }
    if (credential instanceof Credential.KeyText) {
      return "that key";
    }
    return "the site's certificate";
  }

  private static String message(Throwable e) {
    if (e == null) {
      return "no reason given";
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
  }

  /** Stops the client; blocks until MINA's threads are done, so not on an event loop. */
  @Override
  public void close() {
    if (client.succeeded()) {
      client.result().stop();
    }
  }
}
