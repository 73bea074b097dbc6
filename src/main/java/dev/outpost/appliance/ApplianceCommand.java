package dev.outpost.appliance;

import dev.outpost.appliance.config.ConfigKeys;
import io.vertx.core.Future;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code outpost appliance}: a connector node of a resource location. */
@Command(name = "appliance", aliases = "serve", mixinStandardHelpOptions = true, sortOptions = false,
    subcommands = {DrainNodeCommand.class, JoinCommand.class},
    description = {
        "Run a connector node: web store, admin API, broker, gateway and the outbound link to the hub.",
        "With no options it runs a complete single-node site: embedded PostgreSQL under ./data, a self-signed",
        "site CA, the hub role in-process, and a bootstrap admin whose password is printed once.", ""},
    footer = {"", "Every option can also be set as OUTPOST_<KEY> in the environment or in the --config file;",
        "see conf/outpost.yaml for all keys.",
        "Exit codes: 0 stopped cleanly, 1 could not start, 2 bad configuration."})
final class ApplianceCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  CommonOptions common;

  @Option(names = "--https-port", paramLabel = "PORT",
      description = "HTTPS port for store, APIs and WebSockets (default: 8443).")
  String httpsPort;

  @Option(names = "--gateway-port", paramLabel = "PORT",
      description = "TLS port of the raw session gateway (default: 2598).")
  String gatewayPort;

  @Option(names = "--cluster-port", paramLabel = "PORT", description = "Cluster member port (default: 5701).")
  String clusterPort;

  @Option(names = "--cluster-bus-port", paramLabel = "PORT", description = "Event bus port between the site's "
      + "nodes, mutual TLS (default: the cluster port + 1, 5702).")
  String clusterBusPort;

  @Option(names = "--db-peer-port", paramLabel = "PORT", description = "Port on the cluster address where the "
      + "embedded database serves the site's other nodes, TLS only (default: the cluster port + 2, 5703).")
  String dbPeerPort;

  @Option(names = "--cluster-host", paramLabel = "ADDRESS",
      description = "Address other nodes reach this node on; the cluster member listens on it and connects "
          + "from it (default: 127.0.0.1 when --join is empty).")
  String clusterHost;

  @Option(names = "--join", paramLabel = "HOST:PORT,...", description = "Other nodes of this site to join; needs "
      + "the site's cluster.secret (OUTPOST_CLUSTER_SECRET: 'outpost appliance join-command' on a running node "
      + "prints both). On a fresh data dir the node adopts the site CA from them, so that agents fail over between "
      + "the nodes.")
  String join;

  @Option(names = "--hub", paramLabel = "URL", description = "A separate hub (https://host:9443); default: the hub "
      + "runs in this process.")
  String hub;

  @Option(names = "--hub-token", paramLabel = "TOKEN", description = "Connector token from the hub; needed on the "
      + "first start with --hub only.")
  String hubToken;

  @Option(names = "--proxy", paramLabel = "URL", description = "HTTP CONNECT proxy for the link to the hub, "
      + "http://[USER:PASSWORD@]HOST:PORT, or 'direct' (default: HTTPS_PROXY from the environment, NO_PROXY honoured).")
  String proxy;

  @Option(names = "--demo", arity = "0..1", fallbackValue = "true", paramLabel = "true|false",
      description = "Create a demo user, pool and resource (idempotent).")
  String demo;

  @Option(names = "--demo-port", paramLabel = "PORT", description = "Port of the SSH service the demo resource "
      + "reaches on session hosts (default: 22), e.g. 2222 for an sshd that listens there.")
  String demoPort;

  @Override
  public Integer call() {
    Map<String, String> flags = common.flags();
    CommonOptions.put(flags, ConfigKeys.HTTP_PORT.name(), httpsPort);
    CommonOptions.put(flags, ConfigKeys.GATEWAY_PORT.name(), gatewayPort);
    CommonOptions.put(flags, ConfigKeys.CLUSTER_PORT.name(), clusterPort);
    CommonOptions.put(flags, ConfigKeys.CLUSTER_BUS_PORT.name(), clusterBusPort);
    CommonOptions.put(flags, ConfigKeys.DB_PEER_PORT.name(), dbPeerPort);
    CommonOptions.put(flags, ConfigKeys.CLUSTER_HOST.name(), clusterHost);
    CommonOptions.put(flags, ConfigKeys.CLUSTER_JOIN.name(), join);
    CommonOptions.put(flags, ConfigKeys.HUB_URL.name(), hub);
    CommonOptions.put(flags, ConfigKeys.HUB_TOKEN.name(), hubToken);
    CommonOptions.put(flags, ConfigKeys.PROXY_URL.name(), proxy);
    CommonOptions.put(flags, ConfigKeys.DEMO.name(), demo);
    CommonOptions.put(flags, ConfigKeys.DEMO_SSH_PORT.name(), demoPort);
    Console console = new Console(new java.io.PrintStream(System.out, true, java.nio.charset.StandardCharsets.UTF_8));
    return ServerRunner.run("appliance", flags, common.config, spec.commandLine().getErr(),
        config -> ApplianceNode.start(config, console).map(node -> {
          console.line("Outpost appliance " + Version.current() + " ready: https://localhost:" + node.httpsPort()
              + "/  (data in " + config.dataDir() + ")");
          console.line("CA sha256: " + node.caFingerprintDisplay());
          console.line("Add a node to this site: outpost appliance join-command (prints what the new node runs)");
          return new ServerRunner.Running() {
            @Override
            public Future<Void> stop() {
              return node.stop();
            }

            @Override
            public Future<Void> stopRequested() {
              return node.stopRequested();
            }
          };
        }));
  }
}
