package dev.outpost.client;

import dev.outpost.crypto.Fingerprints;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import javax.net.ssl.SSLContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code outpost client}: the endpoint app. Signs in to an appliance (pinning its site CA), lists the user's
 * apps and sessions, and carries a resource's stream through the gateway — to a local port, or to stdin/stdout
 * for {@code ssh -o ProxyCommand}. State lives under {@code --home} (default {@code ~/.outpost}).
 */
@Command(name = "client", mixinStandardHelpOptions = true,
    description = {"Endpoint client: sign in to an appliance, list and launch your apps, and connect to them "
        + "through the gateway (also as an ssh ProxyCommand).", ""},
    subcommands = {ClientCommands.Login.class, ClientCommands.Apps.class, ClientCommands.Launch.class,
        ClientCommands.Connect.class, ClientCommands.Sessions.class, ClientCommands.Logout.class},
    footer = {"", "Example: outpost client login https://appliance:8443 --user alice --ca-sha256 AB:CD:...",
        "         ssh -o ProxyCommand='outpost client connect %%n --stdio' alice@shell"})
public final class ClientCommands implements Callable<Integer> {

  static final int FAILED = 1;

  @Spec
  CommandSpec spec;

  @Mixin
  HomeOption home;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** {@code --gateway auto|tls|wss|hub}, for the commands that open a stream. */
  static final class GatewayOption {
    @Option(names = "--gateway", paramLabel = "WAY", defaultValue = "auto",
        description = "Which gateway carries the stream: tls (the appliance's raw TLS port), wss (the appliance's "
            + "WebSocket, for networks that pass only HTTPS), hub (the hub's rendezvous gateway, from outside the "
            + "resource location), or auto: tls, then wss, then hub, each only while the previous cannot be "
            + "reached. Default: ${DEFAULT-VALUE}.")
    String way;

    GatewayStream.Choice choice() {
      return GatewayStream.Choice.parse(way);
    }
  }

  /** {@code --home DIR}, accepted before or after the subcommand. */
  static final class HomeOption {
    @Option(names = "--home", paramLabel = "DIR",
        description = "Directory for the client's state (sign-in, pinned CA, device key); default ~/.outpost.")
    Path dir;
  }

  /** Shared by every subcommand: the home, one-line failures, and the signed-in store client. */
  abstract static class Action implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    ClientCommands parent;

    @Mixin
    HomeOption home;

    @Override
    public final Integer call() {
      try {
        return run();
      } catch (ClientFailure e) {
        err().println("outpost client " + spec.name() + ": " + e.getMessage());
        err().flush();
        return FAILED;
      }
    }

    abstract int run();

    ClientHome home() {
      Path dir = home.dir != null ? home.dir : parent.home.dir != null ? parent.home.dir
          : Path.of(System.getProperty("user.home"), ".outpost");
      return new ClientHome(dir);
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    /** The store as the signed-in user, over TLS pinned to the stored CA. */
    Signed signedIn() {
      ClientHome h = home();
      ClientHome.Login login = h.login();
      X509Certificate ca = h.ca();
      String token = h.token();
      if (ca == null || token == null) {
        throw new ClientFailure("not signed in: run 'outpost client login " + login.appliance() + " --user "
            + login.username() + "'");
      }
      SSLContext tls = SiteTrust.pinnedTo(ca);
      return new Signed(h, tls, new StoreClient(tls, login.appliance(), token));
    }

    record Signed(ClientHome home, SSLContext tls, StoreClient store) {
      JsonObject launch(String resource) {
        return store.post("/api/v1/resources/" + StoreClient.segment(resource) + "/launch", null);
      }
    }
  }

  @Command(name = "login", mixinStandardHelpOptions = true,
      description = {"Sign in to an appliance and keep the token. On first contact the appliance's site CA must be "
          + "confirmed by its SHA-256 fingerprint (--ca-sha256, or interactively); afterwards only that CA is "
          + "trusted. Creates the device key on first use and sends its public key."})
  static final class Login extends Action {
    @Parameters(index = "0", paramLabel = "URL", description = "The appliance, e.g. https://appliance:8443")
    String url;

    @Option(names = {"--user", "-u"}, required = true, paramLabel = "NAME", description = "Your user name.")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE",
        description = "Read the password from FILE ('-' for stdin) instead of asking on the terminal.")
    String passwordFile;

    @Option(names = "--ca-sha256", paramLabel = "FINGERPRINT",
        description = "SHA-256 fingerprint of the appliance's site CA, as printed at its start (colons optional).")
    String caSha256;

    @Override
    int run() {
      URI appliance = applianceUrl(url);
      ClientHome h = home();
      h.prepare();
      X509Certificate ca = trustedCa(appliance, h);
      String password = password();
      DeviceKey device = DeviceKey.loadOrCreate(h);
      StoreClient store = new StoreClient(SiteTrust.pinnedTo(ca), appliance, null);
      JsonObject signedIn = store.post("/api/v1/login", new JsonObject().put("username", user)
          .put("password", password).put("deviceKey", device.publicKeyBase64()));
      String token = signedIn.getString("token");
      if (token == null) {
        throw new ClientFailure("the appliance did not return a token");
      }
      h.saveLogin(new ClientHome.Login(appliance, user, SiteTrust.fingerprint(ca)), ca);
      h.saveToken(token);
      out().println("Signed in to " + appliance + " as " + user + " (state in " + h.dir() + ")");
      return 0;
    }

    private X509Certificate trustedCa(URI appliance, ClientHome h) {
      if (caSha256 != null) {
        return SiteTrust.verifiedCa(appliance, caSha256);
      }
      X509Certificate pinned = h.ca();
      if (pinned != null) {
        // signed in here before: keep trusting that CA only
        ClientHome.Login before = h.login();
        if (before.appliance().equals(appliance)) {
          return SiteTrust.verifiedCa(appliance, SiteTrust.fingerprint(pinned));
        }
      }
      X509Certificate presented = SiteTrust.presentedCa(appliance);
      String shown = Fingerprints.display(SiteTrust.fingerprint(presented));
      Console console = System.console();
      if (console == null) {
        throw new ClientFailure("first contact with " + appliance + ": its site CA has SHA-256 fingerprint "
            + shown + "; compare it with the one the appliance printed at start, then add --ca-sha256 " + shown);
      }
      console.printf("The appliance %s presents a site CA with SHA-256 fingerprint%n  %s%n"
          + "Compare it with the one printed when the appliance started.%n", appliance, shown);
      String answer = console.readLine("Trust this CA for %s? [y/N] ", appliance);
      if (answer == null || !answer.trim().toLowerCase(Locale.ROOT).startsWith("y")) {
        throw new ClientFailure("not trusted; nothing was sent to " + appliance);
      }
      return SiteTrust.verifiedCa(appliance, SiteTrust.fingerprint(presented));
    }

    private String password() {
      if (passwordFile != null) {
        try {
          String text = "-".equals(passwordFile) ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
              : Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8);
          String password = text.lines().findFirst().orElse("");
          if (password.isEmpty()) {
            throw new ClientFailure("the password file " + passwordFile + " is empty");
          }
          return password;
        } catch (IOException e) {
          throw new ClientFailure("cannot read the password file " + passwordFile + ": " + e.getMessage(), e);
        }
      }
      Console console = System.console();
      if (console == null) {
        throw new ClientFailure("no terminal to ask for the password: use --password-file FILE");
      }
      char[] typed = console.readPassword("Password for %s: ", user);
      if (typed == null || typed.length == 0) {
        throw new ClientFailure("no password given");
      }
      return new String(typed);
    }

    private static URI applianceUrl(String text) {
      try {
        URI uri = URI.create(text.endsWith("/") ? text.substring(0, text.length() - 1) : text);
        if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
          throw new ClientFailure("the appliance URL must be https://HOST[:PORT], not '" + text + "'");
        }
        return uri;
      } catch (IllegalArgumentException e) {
        throw new ClientFailure("the appliance URL must be https://HOST[:PORT], not '" + text + "'");
      }
    }
  }

  @Command(name = "apps", mixinStandardHelpOptions = true,
      description = "List the apps and desktops you may launch, and whether each can start now.")
  static final class Apps extends Action {
    @Override
    int run() {
      JsonArray items = signedIn().store().get("/api/v1/resources").getJsonArray("items", new JsonArray());
      if (items.isEmpty()) {
        out().println("No apps or desktops are published to you.");
        return 0;
      }
      out().printf("%-24s %-8s %-5s %-10s %s%n", "NAME", "KIND", "HINT", "AVAILABLE", "DISPLAY NAME");
      for (Object o : items) {
        JsonObject r = (JsonObject) o;
        boolean available = r.getBoolean("available", false);
        out().printf("%-24s %-8s %-5s %-10s %s%n", r.getString("name"), r.getString("kind", ""),
            r.getString("launchHint", "").isEmpty() ? "-" : r.getString("launchHint"),
            available ? "yes" : "no", r.getString("displayName", "")
            + (available || r.getString("reason") == null ? "" : "  (" + r.getString("reason") + ")"));
      }
      return 0;
    }
  }

  @Command(name = "launch", mixinStandardHelpOptions = true,
      description = {"Launch an app or desktop. Without --local-port, print the launch descriptor (ticket, "
          + "gateways, launch file, ssh command). With --local-port, forward 127.0.0.1:PORT through the gateway, "
          + "with a fresh launch for every local connection, until stopped."})
  static final class Launch extends Action {
    @Parameters(index = "0", paramLabel = "NAME", description = "The app or desktop (name or id).")
    String resource;

    @Option(names = "--local-port", paramLabel = "PORT",
        description = "Listen on 127.0.0.1:PORT (0: any free port) and forward each connection.")
    Integer localPort;

    @Mixin
    GatewayOption gateway;

    @Override
    int run() {
      Signed signed = signedIn();
      GatewayStream.Choice choice = gateway.choice();
      if (localPort == null) {
        out().println(signed.launch(resource).encodePrettily());
        return 0;
      }
      signed.launch(resource); // fail now, not at the first connection, when the resource cannot start
      try (ServerSocket listener = new ServerSocket(localPort, 50, InetAddress.getLoopbackAddress())) {
        out().println("Forwarding 127.0.0.1:" + listener.getLocalPort() + " to " + resource + " (Ctrl-C to stop)");
        out().flush();
        while (true) {
          Socket local = listener.accept();
          Thread worker = new Thread(() -> forward(signed, local, choice), "forward-" + local.getPort());
          worker.setDaemon(true);
          worker.start();
        }
      } catch (IOException e) {
        throw new ClientFailure("cannot listen on 127.0.0.1:" + localPort + ": " + e.getMessage(), e);
      }
    }

    private void forward(Signed signed, Socket local, GatewayStream.Choice choice) {
      try (local; GatewayStream stream = GatewayStream.open(signed.tls(), signed.launch(resource), choice)) {
        local.setTcpNoDelay(true);
        CountDownLatch done = new CountDownLatch(1);
        Pump.start("up", local.getInputStream(), stream.out(), done::countDown);
        Pump.start("down", stream.in(), local.getOutputStream(), done::countDown);
        done.await();
      } catch (ClientFailure e) {
        synchronized (this) {
          err().println("outpost client launch: " + e.getMessage());
          err().flush();
        }
      } catch (IOException e) {
        synchronized (this) {
          err().println("outpost client launch: local connection failed: " + e.getMessage());
          err().flush();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Command(name = "connect", mixinStandardHelpOptions = true,
      description = {"Launch an app or desktop and connect stdin/stdout to it through the gateway. Only the "
          + "stream's bytes go to stdout; messages go to stderr. For ssh: "
          + "ssh -o ProxyCommand='outpost client connect %%n --stdio' user@NAME"})
  static final class Connect extends Action {
    @Parameters(index = "0", paramLabel = "NAME", description = "The app or desktop (name or id).")
    String resource;

    @Option(names = "--stdio", required = true, description = "Carry the stream on stdin and stdout.")
    boolean stdio;

    @Mixin
    GatewayOption gateway;

    @Override
    int run() {
      Signed signed = signedIn();
      GatewayStream.Choice choice = gateway.choice();
      try (GatewayStream stream = GatewayStream.open(signed.tls(), signed.launch(resource), choice)) {
        InputStream stdin = new FileInputStream(FileDescriptor.in);
        OutputStream stdout = new FileOutputStream(FileDescriptor.out);
        CountDownLatch done = new CountDownLatch(1);
        Pump.start("stdin", stdin, stream.out(), done::countDown);
        Pump.start("stdout", stream.in(), stdout, done::countDown);
        done.await();
        return 0;
      } catch (IOException e) {
        throw new ClientFailure("the stream failed: " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return FAILED;
      }
    }
  }

  @Command(name = "sessions", mixinStandardHelpOptions = true, description = "List your open sessions.")
  static final class Sessions extends Action {
    @Override
    int run() {
      JsonArray items = signedIn().store().get("/api/v1/sessions").getJsonArray("items", new JsonArray());
      if (items.isEmpty()) {
        out().println("No open sessions.");
        return 0;
      }
      out().printf("%-36s %-20s %-16s %-13s %s%n", "ID", "RESOURCE", "HOST", "STATE", "SINCE");
      for (Object o : items) {
        JsonObject s = (JsonObject) o;
        out().printf("%-36s %-20s %-16s %-13s %s%n", s.getString("id"), s.getString("resource"),
            s.getString("host"), s.getString("state"), s.getString("createdAt"));
      }
      return 0;
    }
  }

  @Command(name = "logout", mixinStandardHelpOptions = true,
      description = "Sign out at the appliance and delete the stored token (the device key is kept).")
  static final class Logout extends Action {
    @Override
    int run() {
      ClientHome h = home();
      String problem = null;
      try {
        signedIn().store().post("/api/v1/logout", null);
      } catch (ClientFailure e) {
        problem = e.getMessage();
      }
      boolean deleted = h.deleteToken();
      if (problem != null) {
        err().println("outpost client logout: the appliance did not confirm (" + problem + "); the local token "
            + (deleted ? "was deleted" : "was already gone"));
        return deleted ? 0 : FAILED;
      }
      out().println("Signed out; the token was deleted (the device key stays in " + h.dir() + ")");
      return 0;
    }
  }
}
