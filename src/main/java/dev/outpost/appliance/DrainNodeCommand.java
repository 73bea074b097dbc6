package dev.outpost.appliance;

import dev.outpost.admin.cli.AdminCliException;
import dev.outpost.admin.cli.AdminConnection;
import dev.outpost.admin.cli.AdminConnection.Answer;
import dev.outpost.appliance.config.ConfigException;
import dev.outpost.appliance.config.ConfigKeys;
import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.cluster.LocalControl;
import dev.outpost.cluster.NodeDrain;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code outpost appliance drain-node}: takes the node running on this machine's data dir out of service for a
 * rolling upgrade, printing its progress, and waits for it to stop. It reaches the node with the data dir's local
 * control credential, so it needs the same access as the node's state, and no admin session.
 */
@Command(name = "drain-node", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Drain the node running on this machine (same --data-dir / --config as 'outpost appliance') for a rolling",
        "upgrade: its /health/ready turns 503 (check 'drain') so that load balancers stop sending new users; it",
        "keeps serving for --grace; it tells its agents to link to another node; it waits for its live gateway",
        "streams to end (at most --timeout); then it stops, leaving the cluster, unless --no-stop.", ""},
    footer = {"", "Exit codes: 0 drained (and stopped unless --no-stop), 1 the node refused or could not be reached or",
        "did not stop in time, 2 bad usage or configuration, 3 no node runs on this data dir.", "",
        "An admin drains any node of the cluster from another one with POST /admin/api/v1/nodes/{id}/drain",
        "(docs/operations.md, Rolling upgrade)."})
final class DrainNodeCommand implements Callable<Integer> {

  static final int NO_NODE = 3;
  private static final Duration POLL = Duration.ofMillis(500);
  /** How long a drained node may take to stop, after its drain finished. */
  private static final Duration STOPPING = Duration.ofSeconds(90);

  @Spec
  CommandSpec spec;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "The node's data dir (default: data-dir from "
      + "--config or OUTPOST_DATA_DIR, else ./data).")
  String dataDir;

  @Option(names = "--config", paramLabel = "FILE", description = "The node's configuration file, for data-dir.")
  Path config;

  @Option(names = "--grace", paramLabel = "DURATION", defaultValue = "10s", description = "How long the node keeps "
      + "serving after readiness turned down, for load balancers to notice (default: ${DEFAULT-VALUE}).")
  String grace;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "5m", description = "How long to wait for live "
      + "gateway streams to end before the node stops anyway (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--no-stop", description = "Leave the drained node running, out of service (default: it stops).")
  boolean noStop;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      return drain(out);
    } catch (AdminCliException e) {
      err.println("outpost appliance drain-node: " + e.getMessage());
      err.flush();
      return e.exitCode();
    }
  }

  private int drain(PrintWriter out) {
    Duration graceTime = duration("--grace", grace);
    Duration timeoutTime = duration("--timeout", timeout);
    Path data = dataDir();
    LocalControl.Endpoint node = runningNode(data);
    AdminConnection connection = new AdminConnection(URI.create(node.url()), node.caSha256(), node.token());
    String path = "nodes/" + node.nodeId() + "/drain";
    long started = System.nanoTime();
    Answer answer = connection.send("POST", path, new JsonObject().put("graceSeconds", graceTime.toSeconds())
        .put("timeoutSeconds", timeoutTime.toSeconds()).put("stop", !noStop).encode());
    if (answer.status() == 401 || answer.status() == 403) {
      throw new AdminCliException(ServerRunner.FAILED, "the node at " + node.url() + " refused the credential in "
          + data.resolve(LocalControl.FILE) + " (" + detail(answer) + "); is it the node of this data dir?");
    }
    if (answer.status() != 202) {
      throw new AdminCliException(ServerRunner.FAILED, "the node at " + node.url() + " did not start draining: "
          + answer.status() + " " + detail(answer));
    }
    line(out, "Draining node " + node.nodeId() + " at " + node.url() + ": readiness is down; serving for "
        + graceTime.toSeconds() + " s more");
    JsonObject last = new JsonObject(answer.body());
    long deadline = System.nanoTime() + graceTime.plus(timeoutTime).plus(STOPPING).toNanos();
    String shown = progress(last);
    while (System.nanoTime() - deadline < 0) {
      pause();
      JsonObject status = poll(connection, path);
      if (status == null) {
        break; // the listener is gone: the node is stopping
      }
      last = status;
      String now = progress(status);
      if (!now.equals(shown)) {
        line(out, now);
        shown = now;
      }
      if (NodeDrain.Phase.DRAINED.wireName().equals(status.getString("phase"))) {
        line(out, "Drained in " + seconds(started) + "; the node stays up out of service (--no-stop)");
        return ServerRunner.OK;
      }
    }
    if (noStop) {
      throw new AdminCliException(ServerRunner.FAILED, "the node did not finish draining in time; last status: "
          + last.encode());
    }
    awaitStop(data, deadline);
    line(out, "Node " + node.nodeId() + " drained and stopped in " + seconds(started)
        + (last.getBoolean("timedOut", false) ? "; " + last.getInteger("streams", 0)
            + " stream(s) were still open at --timeout and ended with it" : ""));
    return ServerRunner.OK;
  }

  private Path dataDir() {
    Map<String, String> flags = new LinkedHashMap<>();
    CommonOptions.put(flags, ConfigKeys.DATA_DIR.name(), dataDir);
    try {
      return ConfigLoader.create(flags, System.getenv(), config).load().dataDir();
    } catch (ConfigException e) {
      throw new AdminCliException(ServerRunner.BAD_CONFIG, "configuration error: " + e.getMessage());
    }
  }

  /** The node on the data dir: its lock must be held (by it) and its control file present. */
  private static LocalControl.Endpoint runningNode(Path data) {
    if (!Files.isDirectory(data)) {
      throw new AdminCliException(NO_NODE, "no data dir " + data + ": pass the node's --data-dir or --config");
    }
    if (!nodeRuns(data)) {
      throw new AdminCliException(NO_NODE, "no node runs on data dir " + data + " (its lock is free); nothing to "
          + "drain");
    }
    try {
      LocalControl.Endpoint endpoint = LocalControl.Endpoint.read(data);
      if (endpoint == null) {
        throw new AdminCliException(ServerRunner.FAILED, "the node on data dir " + data + " has not published "
            + LocalControl.FILE + " (still starting, or a version without drain-node); wait until it is ready");
      }
      return endpoint;
    } catch (IOException e) {
      throw new AdminCliException(ServerRunner.FAILED, "cannot read the node's control credential: "
          + e.getMessage() + "; run as the user the node runs as");
    }
  }

  private static boolean nodeRuns(Path data) {
    DataDirLock lock = DataDirLock.tryAcquire(data);
    if (lock == null) {
      return true;
    }
    lock.close();
    return false;
  }

  private static JsonObject poll(AdminConnection connection, String path) {
    try {
      Answer answer = connection.send("GET", path, null);
      return answer.status() == 200 ? new JsonObject(answer.body()) : null;
    } catch (AdminCliException e) {
      return null;
    }
  }

  /** Waits until the node's process let go of the data dir: it has stopped. */
  private static void awaitStop(Path data, long deadline) {
    while (nodeRuns(data)) {
      if (System.nanoTime() - deadline >= 0) {
        throw new AdminCliException(ServerRunner.FAILED, "the node on data dir " + data + " drained but did not "
            + "stop in time; stop it (systemctl stop outpost, or SIGTERM)");
      }
      pause();
    }
  }

  private static String progress(JsonObject status) {
    String phase = status.getString("phase", "?");
    return switch (phase) {
      case "grace" -> "Serving through the grace period; readiness is down";
      case "handoff" -> "Handing off agents";
      case "streams" -> "Told " + status.getInteger("agentsHandedOff", 0) + " agent(s) to link to another node; "
          + status.getInteger("streams", 0) + " live gateway stream(s) remain";
      case "stopping" -> "Handed off " + status.getInteger("agentsHandedOff", 0) + " agent(s); drained ("
          + status.getInteger("streams", 0) + " stream(s) left); the node is stopping";
      case "drained" -> "Handed off " + status.getInteger("agentsHandedOff", 0) + " agent(s); drained ("
          + status.getInteger("streams", 0) + " stream(s) left)";
      default -> "Phase " + phase;
    };
  }

  private static Duration duration(String option, String raw) {
    try {
      return ConfigKeys.duration(raw, Duration.ZERO, NodeDrain.Settings.MAX);
    } catch (IllegalArgumentException e) {
      throw new AdminCliException(ServerRunner.BAD_CONFIG, option + ": '" + raw + "' " + e.getMessage());
    }
  }

  private static String detail(Answer answer) {
    try {
      return new JsonObject(answer.body()).getString("detail", answer.body());
    } catch (RuntimeException e) {
      return answer.body();
    }
  }

  private static String seconds(long startedNanos) {
    return String.format(java.util.Locale.ROOT, "%.1f s", (System.nanoTime() - startedNanos) / 1e9);
  }

  private static void line(PrintWriter out, String text) {
    out.println(text);
    out.flush();
  }

  /** The polling interval between status reads; the loop has a deadline. */
  private static void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AdminCliException(ServerRunner.FAILED, "interrupted");
    }
  }
}
