package dev.outpost.cluster;

import dev.outpost.http.HealthRoutes.Check;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one node out of service without failing a launch, for a rolling upgrade: readiness turns down (load
 * balancers stop sending new users), the node keeps serving through a grace period, hands its agents to the other
 * nodes, waits for its live gateway streams to end (up to a timeout) and then asks the process to stop, which
 * leaves the cluster and so moves the duties it leads. Safe to call from any thread.
 */
public final class NodeDrain {

  private static final Logger LOG = LoggerFactory.getLogger(NodeDrain.class);
  /** How often the remaining streams are counted while waiting for them to end. */
  private static final long STREAM_POLL_MS = 500;

  /** Where a drain is; the wire name is what status documents and the CLI show. */
  public enum Phase {
    /** Not draining: taking new users. */
    SERVING,
    /** Readiness is down; still serving while load balancers notice. */
    GRACE,
    /** Telling the linked agents to relink to another node. */
    HANDOFF,
    /** Waiting for the live gateway streams to end. */
    STREAMS,
    /** Nothing left to wait for; the node stays up (no stop asked). */
    DRAINED,
    /** Drained; the process is stopping. */
    STOPPING;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * @param grace how long the node keeps serving after readiness turned down
   * @param timeout how long it waits for live gateway streams to end before it stops anyway
   * @param stop whether the process stops once drained
   */
  public record Settings(Duration grace, Duration timeout, boolean stop) {

    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);
    /** Longest grace or timeout a request may ask for. */
    public static final Duration MAX = Duration.ofHours(24);

    public Settings {
      Objects.requireNonNull(grace);
      Objects.requireNonNull(timeout);
      if (grace.isNegative() || timeout.isNegative() || grace.compareTo(MAX) > 0 || timeout.compareTo(MAX) > 0) {
        throw new IllegalArgumentException("grace and timeout must be from 0 s to " + MAX.toHours() + " h");
      }
    }
  }

  /** What the drain acts on: the node's agent links, its gateway and its process. */
  public interface Node {
    /** Tells every linked agent to relink elsewhere and refuses new links; completes with how many were told. */
    Future<Integer> handOffAgents();

    /** Live gateway streams on this node. */
    int liveStreams();

    /** Called when readiness changes, e.g. to publish the node's status to the cluster at once. */
    void changed();
  }

  private record State(Phase phase, Settings settings, Instant since, int agentsHandedOff, int streams,
      boolean timedOut) {

    State with(Phase next) {
      return new State(next, settings, since, agentsHandedOff, streams, timedOut);
    }
  }

  private final Vertx vertx;
  private final Node node;
  private final Clock clock;
  private final Promise<Void> stopRequested = Promise.promise();
  private volatile State state = new State(Phase.SERVING, null, null, 0, 0, false);

  public NodeDrain(Vertx vertx, Node node, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.node = Objects.requireNonNull(node);
    this.clock = Objects.requireNonNull(clock);
  }

  /**
   * Starts draining; a node already draining goes on with its first settings. Completes with the status at once,
   * not when the drain ends: poll {@link #status()}.
   */
  public synchronized JsonObject start(Settings settings) {
    Objects.requireNonNull(settings);
    if (state.phase() == Phase.SERVING) {
      state = new State(Phase.GRACE, settings, clock.instant(), 0, node.liveStreams(), false);
      LOG.info("Draining: readiness is down; serving for {} s more before handing off agents",
          settings.grace().toSeconds());
      node.changed();
      // the answer describes the drain as it started: with no grace, the hand-off may begin a millisecond later
      JsonObject started = status();
      vertx.setTimer(Math.max(1, settings.grace().toMillis()), id -> handOff());
      return started;
    }
    return status();
  }

  /** Whether readiness is down because of a drain. */
  public boolean draining() {
    return state.phase() != Phase.SERVING;
  }

  /** The readiness check {@code drain}: up while serving, down ("draining") from the start of a drain. */
  public Future<Check> check() {
    State current = state;
    return Future.succeededFuture(current.phase() == Phase.SERVING ? Check.up("serving")
        : Check.down("draining (" + current.phase().wireName() + ") since " + current.since()));
  }

  /** Completes when a finished drain asks the process to stop. */
  public Future<Void> stopRequested() {
    return stopRequested.future();
  }

  /**
   * The drain's progress: {@code phase}, {@code draining}, and while draining {@code since}, the settings,
   * {@code agentsHandedOff}, {@code streams} (live gateway streams) and {@code timedOut}.
   */
  public JsonObject status() {
    State current = state;
    JsonObject json = new JsonObject().put("phase", current.phase().wireName())
        .put("draining", current.phase() != Phase.SERVING);
    if (current.settings() != null) {
      json.put("since", current.since().toString())
          .put("graceSeconds", current.settings().grace().toSeconds())
          .put("timeoutSeconds", current.settings().timeout().toSeconds())
          .put("stop", current.settings().stop())
          .put("agentsHandedOff", current.agentsHandedOff())
          .put("streams", current.phase() == Phase.STOPPING || current.phase() == Phase.DRAINED
              ? current.streams() : node.liveStreams())
          .put("timedOut", current.timedOut());
    }
    return json;
  }

  private void handOff() {
    state = state.with(Phase.HANDOFF);
    node.handOffAgents()
        .recover(e -> {
          LOG.warn("Handing off agents failed ({}); they relink when this node stops", e.getMessage());
          return Future.succeededFuture(0);
        })
        .onSuccess(count -> {
          LOG.info("Draining: told {} agent(s) to relink to another node; waiting for {} live stream(s)", count,
              node.liveStreams());
          State current = state;
          state = new State(Phase.STREAMS, current.settings(), current.since(), count, node.liveStreams(), false);
          long deadline = System.nanoTime() + current.settings().timeout().toNanos();
          awaitStreams(deadline);
        });
  }

  private void awaitStreams(long deadline) {
    int streams = node.liveStreams();
    boolean timedOut = streams > 0 && System.nanoTime() - deadline >= 0;
    if (streams > 0 && !timedOut) {
      vertx.setTimer(STREAM_POLL_MS, id -> awaitStreams(deadline));
      return;
    }
    State current = state;
    boolean stop = current.settings().stop();
    state = new State(stop ? Phase.STOPPING : Phase.DRAINED, current.settings(), current.since(),
        current.agentsHandedOff(), streams, timedOut);
    if (timedOut) {
      LOG.warn("Draining: {} stream(s) still open after {} s; they end with the node", streams,
          current.settings().timeout().toSeconds());
    }
    LOG.info("Drained in {} ms{}", Duration.between(current.since(), clock.instant()).toMillis(),
        stop ? "; stopping" : "; staying up out of service (no stop asked)");
    node.changed();
    if (stop) {
      // let the CLI's next poll see the final status before the listener goes away
      vertx.setTimer(STREAM_POLL_MS * 2, id -> stopRequested.tryComplete());
    }
  }
}
