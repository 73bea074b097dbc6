package dev.outpost.client;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.SiteCertificates;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
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
 * for {@code ssh -o ProxyCommand}. Keeps the user's connection lease and launches with it, by itself, when the store
 * cannot be reached. State lives under {@code --home} (default {@code ~/.outpost}).
 */
@Command(name = "client", mixinStandardHelpOptions = true,
    description = {"Endpoint client: sign in to an appliance, list and launch your apps, and connect to them "
        + "through the gateway (also as an ssh ProxyCommand).", ""},
    subcommands = {ClientCommands.Login.class, ClientCommands.Apps.class, ClientCommands.Launch.class,
        ClientCommands.Connect.class, ClientCommands.Open.class, ClientCommands.Ssh.class,
        ClientCommands.Sessions.class, ClientCommands.Logout.class},
    footer = {"", "Example: outpost client login https://appliance:8443 --user alice --ca-sha256 AB:CD:...",
        "         ssh -o ProxyCommand='outpost client connect %%n --stdio' alice@shell",
        "         ssh -o ProxyCommand='outpost client open shell.outpost' alice@shell   (a file from the store)"})
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
        description = "Directory for the client's state (sign-in, pinned CA, device key); default $HOME/.outpost.")
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
          : UserHome.dir().resolve(".outpost");
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
      return new Signed(h, login, tls, new StoreClient(tls, login.appliance(), token));
    }

    /**
     * Launches through the store, or — when the store cannot be reached or fails with a 5xx — with the stored
     * connection lease, saying so in one line on stderr.
     */
    Launched launch(Signed signed, String resource) {
      try {
        JsonObject launch = signed.launch(resource);
        signed.refreshLease(false);
        return new Launched(launch, signed.tls());
      } catch (StoreUnavailable e) {
        LeaseFallback.Launched viaLease = LeaseFallback.launch(signed.home(), signed.login(), resource, e);
        synchronized (this) {
          err().println("outpost client " + spec.name() + ": " + e.getMessage() + "; launched " + resource
              + " with the connection lease at " + viaLease.appliance() + " (valid until "
              + viaLease.lease().expiresAt() + ")");
          err().flush();
        }
        return new Launched(viaLease.launch(), viaLease.tls());
      }
    }

    record Signed(ClientHome home, ClientHome.Login login, SSLContext tls, StoreClient store) {
      JsonObject launch(String resource) {
        return store.post("/api/v1/resources/" + StoreClient.segment(resource) + "/launch", null);
      }

      /**
       * Fetches and keeps the user's connection lease when it is new. Unless {@code always}, only when the stored one
       * is missing or older than {@link #LEASE_CHECK}. A lease is a bonus here: failures are only reported.
       */
      LeaseState refreshLease(boolean always) {
        LeaseWallet wallet = new LeaseWallet(home);
        try {
          LeaseWallet.Stored stored = wallet.load(login.caSha256(), login.username());
          if (!always && stored != null && stored.lease().issuedAt().isAfter(Instant.now().minus(LEASE_CHECK))) {
            return LeaseState.KEPT;
          }
          StoreClient.Answer answer = store.getAnswer("/api/v1/lease");
          if (answer.status() != 200) {
            return LeaseState.PENDING;
          }
          if (stored == null || !stored.token().equals(answer.body().getString("lease"))) {
            wallet.save(login.caSha256(), login.username(), answer.body());
          }
          return LeaseState.KEPT;
        } catch (StoreUnavailable e) {
          return LeaseState.PENDING;
        } catch (ClientFailure e) {
          return LeaseState.NONE;
        }
      }
    }

    /** After asking for the lease: a current one is kept, it is still being issued, or the store offers none. */
    enum LeaseState {
      KEPT, PENDING, NONE
    }

    /** A launch answer and the TLS trust of the appliance that gave it. */
    record Launched(JsonObject launch, SSLContext tls) {
    }

    static GatewayStream open(Launched launched, GatewayStream.Choice choice) {
      return GatewayStream.open(launched.tls(), launched.launch(), choice);
    }
  }

  /** How old a stored lease may be before a launch asks the store for a newer one. */
  static final Duration LEASE_CHECK = Duration.ofHours(1);

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
        description = "Read the password from FILE ('-' for stdin) instead of asking on the terminal; without a "
            + "terminal the first line of stdin is read (echo \"$PW\" | outpost client login ...).")
    String passwordFile;

    @Option(names = "--ca-sha256", paramLabel = "FINGERPRINT",
        description = "SHA-256 fingerprint of the appliance's site CA, as printed at its start (colons optional).")
    String caSha256;

    @Option(names = "--code", paramLabel = "CODE",
        description = "The current code of your authenticator app, or a recovery code, for an account with a second "
            + "factor. Default: asked for on the terminal when the appliance wants one; without a terminal, the line "
            + "after the password on stdin (printf '%%s\\n%%s\\n' \"$PW\" \"$CODE\" | outpost client login ...).")
    String code;

    @Option(names = "--remember-device",
        description = "After the code, have the appliance remember this device (its device key) so that later "
            + "sign-ins here skip the code, for as long as the site allows (identity.remember-device).")
    boolean rememberDevice;

    @Option(names = "--lease-wait", paramLabel = "SECONDS", defaultValue = "10",
        description = "How long to wait for the connection lease after signing in (0: do not wait; a later command "
            + "fetches it). Default: ${DEFAULT-VALUE}.")
    int leaseWait;

    private BufferedReader stdin;

    @Override
    int run() {
      URI appliance = applianceUrl(url);
      ClientHome h = home();
      h.prepare();
      X509Certificate ca = trustedCa(appliance, h);
      String password = password();
      DeviceKey device = DeviceKey.loadOrCreate(h);
      StoreClient store = new StoreClient(SiteTrust.pinnedTo(ca), appliance, null);
      JsonObject signedIn = new SecondFactorPrompt(h, device, appliance, user, this::askCode).signIn(store, password,
          code, rememberDevice);
      String token = signedIn.getString("token");
      if (token == null) {
        throw new ClientFailure("the appliance did not return a token");
      }
      ClientHome.Login login = new ClientHome.Login(appliance, user, SiteTrust.fingerprint(ca));
      h.saveLogin(login, ca);
      h.saveToken(token);
      out().println("Signed in to " + appliance + " as " + user + " (state in " + h.dir() + ")");
      awaitLease(new Signed(h, login, SiteTrust.pinnedTo(ca), new StoreClient(SiteTrust.pinnedTo(ca), appliance,
          token)));
      return 0;
    }

    /** Waits up to --lease-wait for the connection lease, which the appliance issues in the background. */
    private void awaitLease(Signed signed) {
      Instant deadline = Instant.now().plusSeconds(Math.max(0, leaseWait));
      do {
        LeaseState state = signed.refreshLease(true);
        if (state == LeaseState.KEPT) {
          LeaseWallet.Stored stored = new LeaseWallet(signed.home()).load(signed.login().caSha256(), user);
          out().println("Connection lease " + stored.lease().id() + " valid until " + stored.lease().expiresAt()
              + " for " + stored.lease().resources().size() + " app(s) and desktop(s)");
          return;
        }
        if (state == LeaseState.NONE) {
          out().println("No connection lease: " + signed.store().appliance() + " does not issue one for this sign-in");
          return;
        }
        if (!Instant.now().isBefore(deadline)) {
          break;
        }
        try {
          Thread.sleep(500); // the lease is issued through a rate-limited queue: ask again shortly
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      } while (Instant.now().isBefore(deadline));
      out().println("The connection lease is still being issued; a later command fetches it");
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
          String password = "-".equals(passwordFile) ? stdinLine()
              : Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).lines().findFirst().orElse("");
          if (password == null || password.isEmpty()) {
            throw new ClientFailure("the password file " + passwordFile + " is empty");
          }
          return password;
        } catch (IOException e) {
          throw new ClientFailure("cannot read the password file " + passwordFile + ": " + e.getMessage(), e);
        }
      }
      Console console = System.console();
      if (console == null) {
        return pipedPassword();
      }
      char[] typed = console.readPassword("Password for %s: ", user);
      if (typed == null || typed.length == 0) {
        throw new ClientFailure("no password given");
      }
      return new String(typed);
    }

    /** No terminal: the first line piped in ({@code echo "$PW" | outpost client login ...}). */
    private String pipedPassword() {
      try {
        String line = stdinLine();
        if (line == null || line.isEmpty()) {
          throw new ClientFailure("no password: pipe it in on stdin, use --password-file FILE, or run this in a "
              + "terminal to be asked");
        }
        return line;
      } catch (IOException e) {
        throw new ClientFailure("cannot read the password from stdin: " + e.getMessage(), e);
      }
    }

    /**
     * The code the appliance asks for when none came with --code: typed on the terminal, else the next line piped in
     * (after the password, when that came from stdin too).
     */
    private String askCode() {
      Console console = System.console();
      String typed;
      if (console != null) {
        typed = console.readLine("Code from your authenticator app (or a recovery code) for %s: ", user);
      } else {
        try {
          typed = stdinLine();
        } catch (IOException e) {
          throw new ClientFailure("cannot read the code from stdin: " + e.getMessage(), e);
        }
      }
      if (typed == null || typed.isBlank()) {
        throw new ClientFailure(user + " signs in with a second factor: pass --code with the current code of your "
            + "authenticator app (or a recovery code), pipe it in on the line after the password, or run this in a "
            + "terminal to be asked");
      }
      return typed.strip();
    }

    /** The next line of stdin, or {@code null} at its end: one reader, so a password line and a code line count. */
    private String stdinLine() throws IOException {
      if (stdin == null) {
        stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      }
      return stdin.readLine();
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
      Signed signed = signedIn();
      JsonArray items;
      try {
        items = signed.store().get("/api/v1/resources").getJsonArray("items", new JsonArray());
        signed.refreshLease(true);
      } catch (StoreUnavailable e) {
        items = fromLease(signed, e);
      }
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

    /** The apps the stored lease names, when the store cannot list them; says so on stderr. */
    private JsonArray fromLease(Signed signed, StoreUnavailable failure) {
      LeaseWallet.Stored stored = new LeaseWallet(signed.home()).load(signed.login().caSha256(),
          signed.login().username());
      if (stored == null) {
        throw failure;
      }
      JsonArray items = new JsonArray();
      stored.lease().resources().forEach(r -> items.add(new JsonObject().put("name", r.name()).put("kind", r.kind())
          .put("available", true).put("displayName", r.name() + "  (from the connection lease)")));
      err().println("outpost client apps: " + failure.getMessage() + "; listing the apps of the connection lease"
          + " (valid until " + stored.lease().expiresAt() + ")");
      return items;
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
        out().println(launch(signed, resource).launch().encodePrettily());
        return 0;
      }
      launch(signed, resource); // fail now, not at the first connection, when the resource cannot start
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
      try (local; GatewayStream stream = open(launch(signed, resource), choice)) {
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
      try (GatewayStream stream = open(launch(signed, resource), choice)) {
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

  @Command(name = "open", mixinStandardHelpOptions = true,
      description = {"Open a launch file (NAME.outpost, as the store's Launch downloads it) with the one-time ticket "
          + "it holds: no second launch. Without --local-port, carry stdin and stdout, e.g. as ssh's ProxyCommand: "
          + "ssh -o ProxyCommand='outpost client open NAME.outpost' USER@NAME. With --local-port, carry one "
          + "connection on 127.0.0.1:PORT (a ticket opens one stream). The appliance is trusted by the CA pinned at "
          + "'outpost client login'. The ticket works once, until the expiresAt in the file."})
  static final class Open extends Action {
    /** The launch file's {@code type}. */
    static final String FILE_TYPE = "outpost-launch";

    @Parameters(index = "0", paramLabel = "FILE", description = "The launch file (.outpost).")
    Path file;

    @Option(names = "--local-port", paramLabel = "PORT",
        description = "Listen on 127.0.0.1:PORT (0: any free port) for the one connection the ticket opens.")
    Integer localPort;

    @Mixin
    GatewayOption gateway;

    @Override
    int run() {
      JsonObject launch = read(file);
      X509Certificate ca = home().ca();
      if (ca == null) {
        throw new ClientFailure("no appliance is trusted yet: run 'outpost client login " + launch.getString(
            "appliance", "https://APPLIANCE:8443") + " --user USER --ca-sha256 FP' once, then open the file again");
      }
      SSLContext tls = SiteTrust.pinnedTo(ca);
      GatewayStream.Choice choice = gateway.choice();
      if (localPort == null) {
        try (GatewayStream stream = GatewayStream.open(tls, launch, choice)) {
          carry(stream, new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out));
          return 0;
        } catch (IOException e) {
          throw new ClientFailure("the stream failed: " + e.getMessage(), e);
        }
      }
      try (ServerSocket listener = new ServerSocket(localPort, 1, InetAddress.getLoopbackAddress())) {
        out().println("Forwarding one connection on 127.0.0.1:" + listener.getLocalPort() + " to "
            + launch.getString("resource") + " (ticket valid until " + launch.getString("expiresAt") + ")");
        out().flush();
        try (Socket local = listener.accept(); GatewayStream stream = GatewayStream.open(tls, launch, choice)) {
          local.setTcpNoDelay(true);
          carry(stream, local.getInputStream(), local.getOutputStream());
          return 0;
        }
      } catch (IOException e) {
        throw new ClientFailure("cannot forward on 127.0.0.1:" + localPort + ": " + e.getMessage(), e);
      }
    }

    /** The launch file, checked: the right type, a ticket, gateways, and not past its expiry. */
    static JsonObject read(Path file) {
      JsonObject launch;
      try {
        launch = new JsonObject(Files.readString(file));
      } catch (IOException e) {
        throw new ClientFailure("cannot read " + file + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw new ClientFailure(file + " is not a launch file (not JSON)", e);
      }
      if (!FILE_TYPE.equals(launch.getValue("type")) || !(launch.getValue("ticket") instanceof String)
          || !(launch.getValue("gateways") instanceof JsonArray)) {
        throw new ClientFailure(file + " is not an Outpost launch file: download it again with Launch in the store");
      }
      Object expires = launch.getValue("expiresAt");
      try {
        if (expires instanceof String text && !Instant.parse(text).isAfter(Instant.now())) {
          throw new ClientFailure("the ticket in " + file + " expired at " + text + ": launch again in the store "
              + "(or use 'outpost client launch " + launch.getString("resource", "NAME") + "')");
        }
      } catch (java.time.format.DateTimeParseException e) {
        throw new ClientFailure(file + " has an unreadable expiresAt", e);
      }
      return launch;
    }
  }

  @Command(name = "ssh", mixinStandardHelpOptions = true,
      description = {"Run the real ssh to an SSH app through the gateway (ssh's ProxyCommand is this client's "
          + "connect). When the app has a host login, the site signs a certificate for a key made for this one run "
          + "(valid for minutes; key and certificate are deleted when ssh ends), so no host password is asked. "
          + "Without one, ssh logs in as --login (default: your user name) with your own keys. Words after NAME "
          + "are the remote command."})
  static final class Ssh extends Action {
    @Parameters(index = "0", paramLabel = "NAME", description = "The SSH app (name or id).")
    String resource;

    @Parameters(index = "1..*", paramLabel = "COMMAND", description = "The remote command and its arguments.")
    List<String> command = new ArrayList<>();

    @Option(names = "--login", paramLabel = "USER",
        description = "The account on the host when the app has no host login (default: your user name).")
    String login;

    @Option(names = "--ssh-option", paramLabel = "OPTION",
        description = "An ssh -o option, e.g. --ssh-option StrictHostKeyChecking=accept-new; repeatable.")
    List<String> sshOptions = new ArrayList<>();

    @Mixin
    GatewayOption gateway;

    @Override
    int run() {
      Signed signed = signedIn();
      Path keys;
      try {
        keys = Files.createTempDirectory("outpost-ssh-", PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rwx------")));
      } catch (IOException e) {
        throw new ClientFailure("cannot make a private directory for the key: " + e.getMessage(), e);
      }
      try {
        List<String> ssh = new ArrayList<>(List.of("ssh", "-o", "ProxyCommand=" + proxyCommand()));
        sshOptions.forEach(option -> ssh.addAll(List.of("-o", option)));
        String user = certificate(signed, keys, ssh);
        ssh.add(user + "@" + resource);
        ssh.addAll(command);
        Process process = new ProcessBuilder(ssh).inheritIO().start();
        return process.waitFor();
      } catch (IOException e) {
        throw new ClientFailure("cannot run ssh (is the OpenSSH client installed?): " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return FAILED;
      } finally {
        deleteQuietly(keys);
      }
    }

    /**
     * Asks the site for a certificate of a fresh key; when the app has a host login, writes both for ssh and
     * answers that login, else answers the user's own account.
     */
    private String certificate(Signed signed, Path keys, List<String> ssh) throws IOException {
      KeyPair pair = SiteCertificates.newKeyPair();
      StoreClient.Answer answer = signed.store().postAnswer("/api/v1/resources/" + StoreClient.segment(resource)
          + "/ssh-certificate", new JsonObject().put("publicKey",
              PublicKeyEntry.toString(pair.getPublic())));
      if (answer.status() == 409) {
        return login != null ? login : signed.login().username(); // no host login: the user's own account
      }
      if (answer.status() != 200) {
        throw new ClientFailure(answer.body().getString("detail", "the appliance answered " + answer.status()));
      }
      Path key = keys.resolve("id_ecdsa");
      try (OutputStream out = Files.newOutputStream(key)) {
        OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, "outpost", null, out);
      } catch (GeneralSecurityException e) {
        throw new ClientFailure("cannot write the key: " + e.getMessage(), e);
      }
      Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
      Path certificate = Files.writeString(keys.resolve("id_ecdsa-cert.pub"),
          answer.body().getString("certificate") + "\n");
      ssh.addAll(List.of("-o", "IdentitiesOnly=yes", "-o", "IdentityFile=" + key, "-o",
          "CertificateFile=" + certificate));
      return answer.body().getString("login");
    }

    /** This same client, as ssh runs it for the stream: {@code ... client --home H connect NAME --stdio}. */
    private String proxyCommand() {
      List<String> self = new ArrayList<>(selfCommand());
      self.addAll(List.of("client", "--home", home().dir().toString(), "connect", resource, "--stdio",
          "--gateway", gateway.way));
      return String.join(" ", self.stream().map(ClientCommands::shellQuoted).toList());
    }

    private static void deleteQuietly(Path dir) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        // a temporary directory; the key in it was valid for minutes
      }
    }
  }

  /** How to run this same program again: the jar with this Java, or the class path in a development run. */
  static List<String> selfCommand() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    try {
      Path code = Path.of(ClientCommands.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isRegularFile(code)) {
        return List.of(java, "-jar", code.toString());
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall back to the class path below
    }
    return List.of(java, "-cp", System.getProperty("java.class.path"), "dev.outpost.appliance.Outpost");
  }

  /** A word for /bin/sh, which runs ssh's ProxyCommand. */
  static String shellQuoted(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /** Copies both ways between a gateway stream and a local pair of streams until either side ends. */
  static void carry(GatewayStream stream, InputStream in, OutputStream out) throws IOException {
    CountDownLatch done = new CountDownLatch(1);
    Pump.start("up", in, stream.out(), done::countDown);
    Pump.start("down", stream.in(), out, done::countDown);
    try {
      done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
      description = {"Sign out at the appliance, which also voids this device's connection leases there, and delete "
          + "the stored token, connection leases and the key they are encrypted with. The device key itself is kept."})
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
      int leases = new LeaseWallet(h).deleteAll();
      boolean deleted = h.deleteToken();
      String local = "the local token " + (deleted ? "was deleted" : "was already gone") + " and " + leases
          + " connection lease(s) were deleted";
      if (problem != null) {
        err().println("outpost client logout: the appliance did not confirm (" + problem + "); " + local);
        return deleted || leases > 0 ? 0 : FAILED;
      }
      out().println("Signed out; " + local + " (the device key stays in " + h.dir() + ")");
      return 0;
    }
  }
}
