package dev.outpost.appliance;

import dev.outpost.appliance.config.ConfigException;
import dev.outpost.appliance.config.ConfigKeys;
import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.cluster.ClusterConfig;
import dev.outpost.cluster.ClusterSecret;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost appliance join-command}: prints the command that adds a node to the site of the node on this
 * machine's data dir: its cluster address, and the site's cluster secret (configured, or the one the node keeps in
 * its data dir). It reads files only; the node need not run.
 */
@Command(name = "join-command", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Print what a new node runs to join the site of the node on this machine (same --data-dir / --config as",
        "'outpost appliance'): the site's cluster secret and this node's cluster address. The output holds the",
        "secret: show it only to whoever installs the new node.", ""},
    footer = {"", "Exit codes: 0 printed, 2 bad configuration or no cluster secret yet (start the node once)."})
final class JoinCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "The node's data dir (default: data-dir from "
      + "--config or OUTPOST_DATA_DIR, else ./data).")
  String dataDir;

  @Option(names = "--config", paramLabel = "FILE", description = "The node's configuration file.")
  Path config;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    OutpostConfig node;
    String secret;
    try {
      Map<String, String> flags = new LinkedHashMap<>();
      CommonOptions.put(flags, ConfigKeys.DATA_DIR.name(), dataDir);
      node = ConfigLoader.create(flags, System.getenv(), config).load();
      secret = node.cluster().hasSecret() ? node.cluster().secret() : ClusterSecret.read(node.dataDir());
    } catch (ConfigException e) {
      return fail(err, "configuration error: " + e.getMessage());
    } catch (IOException e) {
      return fail(err, "cannot read " + ClusterSecret.file(Path.of(String.valueOf(dataDir))) + ": " + e.getMessage());
    }
    if (secret == null) {
      return fail(err, "no cluster secret yet: " + ClusterSecret.file(node.dataDir()) + " is made on the node's "
          + "first start; start it once (or set cluster.secret) and run this again");
    }
    out.print(text(node, secret));
    out.flush();
    return ServerRunner.OK;
  }

  /** What the operator reads: the command for the new node and what to check first. */
  static String text(OutpostConfig node, String secret) {
    ClusterConfig cluster = node.cluster();
    boolean loopback = cluster.host().isEmpty() || cluster.host().startsWith("127.") || cluster.host().equals("::1")
        || cluster.host().equals("localhost");
    String address = loopback ? "THIS_NODE_ADDRESS" : cluster.host();
    StringBuilder text = new StringBuilder();
    if (loopback) {
      text.append("This node's cluster member listens on ").append(cluster.host().isEmpty() ? "an address it chose"
          : cluster.host()).append(": restart it with --cluster-host THIS_NODE_ADDRESS (an address the other nodes "
          + "reach) before a node can join, and use that address below.\n\n");
    }
    text.append("On the new node (a fresh data dir), run:\n\n  OUTPOST_CLUSTER_SECRET='").append(secret)
        .append("' outpost appliance --join ").append(address).append(':').append(cluster.port())
        .append(" --cluster-host NEW_NODE_ADDRESS");
    if (cluster.port() != 5701) {
      text.append(" --cluster-port ").append(cluster.port());
    }
    if (!node.hub().inProcess()) {
      text.append(" --hub ").append(node.hub().url()).append(" --hub-token CONNECTOR_TOKEN");
    }
    text.append("\n\nThe new node adopts this site's CA and joins its cluster. Keep the secret like a password (or put "
        + "it in the new node's --config file as cluster.secret). Between the nodes, open TCP ")
        .append(cluster.port()).append(" (cluster) and ").append(cluster.busPort()).append(" (event bus).\n");
    if (!node.hub().inProcess()) {
      text.append("CONNECTOR_TOKEN: a connector token of this location from the hub (docs/hub.md).\n");
    }
    return text.toString();
  }

  private static int fail(PrintWriter err, String message) {
    err.println("outpost appliance join-command: " + message);
    err.flush();
    return ServerRunner.BAD_CONFIG;
  }
}
