package dev.outpost.appliance;

import dev.outpost.client.UserHome;
import dev.outpost.hosts.agent.AgentException;
import dev.outpost.hosts.agent.AgentIdentity;
import dev.outpost.hosts.agent.AgentRunner;
import dev.outpost.hosts.agent.SshUserCaInstaller;
import dev.outpost.http.OutboundProxy;
import io.vertx.core.Vertx;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code outpost agent}: the session-host agent. */
@Command(name = "agent", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Session host agent: enrolls once with a token, then keeps one outbound link to an appliance and reports",
        "this host's load, sessions and the state of the ports the appliance asks about.",
        "",
        "First run:  outpost agent --appliance https://APPLIANCE:8443 --token OPT1.... --address HOST_IP",
        "  The key pair is made here and never leaves the host; the appliance is trusted only if it presents the",
        "  site CA whose fingerprint the token carries. Key, certificates and host id are kept (mode 0600) under",
        "  --data-dir (default: /var/lib/outpost-agent as root, else $HOME/.outpost-agent).",
        "Later runs: outpost agent [--data-dir DIR]   (no token: the stored certificate authenticates the host)",
        ""},
    footer = {"", "Exit codes: 0 stopped by SIGTERM/SIGINT, 1 enrollment failed or the appliance refused this host,",
        "2 bad usage (missing token on first run, malformed token or address)."})
final class AgentCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(AgentCommand.class);

  @Spec
  CommandSpec spec;

  @Option(names = "--appliance", paramLabel = "URL[,URL...]", split = ",",
      description = "Appliance(s) to link to, https://HOST:PORT; the agent keeps one link and tries the next on "
          + "failure. Required on the first run; stored for later runs, together with the other appliances of the "
          + "site that the linked one names (given again, it replaces the stored list until the next link).")
  List<String> appliances = new ArrayList<>();

  @Option(names = "--token", paramLabel = "TOKEN", description = "Enrollment token (OPT1.<ca-sha256>.<secret>) from "
      + "'outpost admin enroll-token create' or POST /admin/api/v1/enroll-tokens; first run only.")
  String token;

  @Option(names = "--address", paramLabel = "HOST_IP", description = "Address the gateway reaches this host on; "
      + "also where the agent probes the watched ports. Required on the first run; stored for later runs.")
  String address;

  /** Where an agent kept its state before the default left the current directory. */
  static final Path OLD_DEFAULT = Path.of("agent-data");

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where the key, certificates and host id are kept "
      + "(default: /var/lib/outpost-agent when run as root, else $HOME/.outpost-agent; an ./agent-data left by an "
      + "older version is used while that default does not exist).")
  Path dataDir;

  /** Said once logging is set up, when the state of an older version in the current directory is used. */
  private String oldDefaultNotice;

  @Option(names = "--name", paramLabel = "NAME", description = "Host name to enroll under (default: this "
      + "machine's host name).")
  String name;

  @Option(names = "--heartbeat", paramLabel = "SECONDS", description = "Report at least this often (1-3600); the "
      + "agent never reports less often than the appliance asks (default: as the appliance asks, 10 s).")
  Integer heartbeat;

  @Option(names = "--proxy", paramLabel = "URL", description = "HTTP CONNECT proxy to reach the appliances through, "
      + "http://[USER:PASSWORD@]HOST:PORT, or 'direct' (default: HTTPS_PROXY from the environment). NO_PROXY is "
      + "honoured either way.")
  String proxy;

  @Option(names = "--simulate", paramLabel = "N", description = "Load generator: enroll and link N made-up hosts "
      + "(1-10000) from this process, each under DIR/sim-<i>/, reporting every port as up. The token needs N uses.")
  Integer simulate;

  @Option(names = "--trust-ssh-user-ca", paramLabel = "FILE", arity = "0..1",
      fallbackValue = "/etc/ssh/outpost_user_ca.pub", description = "Opt in: install the site's SSH user CA key in "
      + "FILE (default: ${FALLBACK-VALUE}) so that sshd, once its TrustedUserCAKeys names FILE, accepts the "
      + "short-lived certificates the site signs for browser terminals; prints the sshd_config line when it is "
      + "missing, and never edits sshd's configuration. Off unless given.")
  String trustSshUserCa;

  @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
      description = "error, warn, info, debug or trace (default: ${DEFAULT-VALUE}); logs go to stderr.")
  String logLevel;

  @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text",
      description = "Log line format (default: ${DEFAULT-VALUE}).")
  String logFormat;

  @Override
  public Integer call() {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Console console = new Console(out);
    Vertx vertx = null;
    try {
      AgentRunner.Options options = options();
      AgentRunner runner = new AgentRunner(options, console::line);
      LogSetup.configure("json".equals(logFormat), logLevel);
      if (oldDefaultNotice != null) {
        LOG.warn(oldDefaultNotice);
      }
      if (options.proxy().enabled()) {
        LOG.info("Links to appliances go through the proxy {}", options.proxy().describe());
      }
      vertx = Vertx.vertx();
      List<AgentIdentity> identities = runner.prepare(vertx);
      if (trustSshUserCa != null && !identities.isEmpty()) {
        // before linking, so that the host trusts the CA by the time the store offers its terminals
        new SshUserCaInstaller(Path.of(trustSshUserCa), SshUserCaInstaller.SSHD_CONFIG, console::line)
            .install(vertx, identities.get(0)).toCompletionStage().toCompletableFuture().join();
      }
      return run(vertx, runner, identities);
    } catch (AgentException e) {
      if (vertx != null) {
        close(vertx);
      }
      spec.commandLine().getErr().println("outpost agent: " + e.getMessage());
      spec.commandLine().getErr().flush();
      return e.exitCode();
    }
  }

  private OutboundProxy proxy() {
    Map<String, String> env = System.getenv();
    try {
      if (proxy == null) {
        return OutboundProxy.fromEnvironment(env);
      }
      return OutboundProxy.of(proxy, OutboundProxy.parseBypass(OutboundProxy.firstSet(env,
          OutboundProxy.NO_PROXY_VARIABLES)));
    } catch (IllegalArgumentException e) {
      String source = proxy != null ? "--proxy" : OutboundProxy.PROXY_VARIABLES.stream()
          .filter(name -> !OutboundProxy.firstSet(env, List.of(name)).isEmpty()).findFirst().orElse("HTTPS_PROXY");
      // the value may hold a password: never echo it
      throw AgentException.usage(source + ": the value " + e.getMessage());
    }
  }

  private AgentRunner.Options options() {
    if (heartbeat != null && (heartbeat < 1 || heartbeat > 3600)) {
      throw AgentException.usage("--heartbeat must be between 1 and 3600 seconds");
    }
    if (simulate != null && (simulate < 1 || simulate > 10_000)) {
      throw AgentException.usage("--simulate must be between 1 and 10000");
    }
    if (!"text".equals(logFormat) && !"json".equals(logFormat)) {
      throw AgentException.usage("--log-format must be text or json");
    }
    List<URI> urls = new ArrayList<>();
    for (String url : appliances) {
      URI uri;
      try {
        uri = URI.create(url.strip());
      } catch (IllegalArgumentException e) {
        throw AgentException.usage("--appliance '" + url + "' is not a URL");
      }
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
        throw AgentException.usage("--appliance '" + url + "' must be https://HOST:PORT");
      }
      urls.add(URI.create("https://" + (uri.getHost().contains(":") && !uri.getHost().startsWith("[")
          ? "[" + uri.getHost() + "]" : uri.getHost()) + ":" + (uri.getPort() > 0 ? uri.getPort() : 443)));
    }
    return new AgentRunner.Options(urls, token, address, dataDir(), name,
        heartbeat == null ? null : Duration.ofSeconds(heartbeat), simulate == null ? 0 : simulate, Version.current(),
        proxy());
  }

  /**
   * {@code --data-dir}, or the default: outside the current directory, so that an agent started in a checkout or a
   * download folder does not leave its key there.
   */
  private Path dataDir() {
    if (dataDir != null) {
      return dataDir;
    }
    Path standard = defaultDataDir(UserHome.root(), UserHome.dir());
    if (!Files.exists(standard) && Files.isDirectory(OLD_DEFAULT)) {
      oldDefaultNotice = "Using " + OLD_DEFAULT.toAbsolutePath() + " in the current directory, where older versions "
          + "kept the agent's state; move it to " + standard + " or pass --data-dir";
      return OLD_DEFAULT;
    }
    return standard;
  }

  static Path defaultDataDir(boolean root, Path home) {
    return root ? Path.of("/var/lib/outpost-agent") : home.resolve(".outpost-agent");
  }

  private static int run(Vertx vertx, AgentRunner runner, List<AgentIdentity> identities) {
    CompletableFuture<String> outcome = new CompletableFuture<>();
    runner.link(vertx, identities).onSuccess(outcome::complete);
    boolean signals = StopSignals.install(() -> outcome.complete(null));
    Thread hook = new Thread(() -> close(vertx), "outpost-agent-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    String refused;
    try {
      refused = outcome.get();
    } catch (Exception e) {
      refused = null;
    }
    if (signals) {
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    close(vertx);
    if (refused != null) {
      throw AgentException.failed(refused);
    }
    return 0;
  }

  private static void close(Vertx vertx) {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // exiting anyway
    }
  }
}
