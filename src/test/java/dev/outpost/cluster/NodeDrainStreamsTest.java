package dev.outpost.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link NodeDrain}'s course on its own: grace, hand-off, waiting for streams, timeout, stop. Each test gets a Vert.x
 * of its own from the extension, closed after it.
 */
@ExtendWith(VertxExtension.class)
class NodeDrainStreamsTest {

  private final AtomicInteger streams = new AtomicInteger();
  private final AtomicInteger handOffs = new AtomicInteger();
  private final AtomicInteger changes = new AtomicInteger();

  @Test
  void itWaitsForTheLastStreamThenAsksToStop(Vertx vertx) throws Exception {
    // GIVEN a node with two agents and two live streams
    streams.set(2);
    NodeDrain drain = new NodeDrain(vertx, node(2), Clock.systemUTC());

    // WHEN it drains with no grace and a long timeout
    JsonObject started = drain.start(new NodeDrain.Settings(Duration.ZERO, Duration.ofMinutes(5), true));

    // THEN readiness is down at once, the agents are handed off, and it waits for the streams
    assertThat(started.getString("phase")).isEqualTo("grace");
    assertThat(drain.check().result().up()).isFalse();
    Poll.until("waiting for streams", Duration.ofSeconds(10),
        () -> "streams".equals(drain.status().getString("phase")));
    assertThat(handOffs.get()).isEqualTo(1);
    assertThat(drain.status().getInteger("agentsHandedOff")).isEqualTo(2);
    assertThat(drain.status().getInteger("streams")).isEqualTo(2);
    assertThat(drain.stopRequested().isComplete()).isFalse();

    // WHEN one stream ends THEN it still waits, reporting one
    streams.set(1);
    Poll.until("one stream left", Duration.ofSeconds(10), () -> drain.status().getInteger("streams") == 1);
    assertThat(drain.status().getString("phase")).isEqualTo("streams");

    // WHEN the last one ends THEN it asks the process to stop, not timed out
    streams.set(0);
    Poll.until("stop requested", Duration.ofSeconds(10), () -> drain.stopRequested().isComplete());
    assertThat(drain.status().getString("phase")).isEqualTo("stopping");
    assertThat(drain.status().getBoolean("timedOut")).isFalse();
    assertThat(changes.get()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void streamsStillOpenAtTheTimeoutAreReportedAndANodeAskedNotToStopStaysUp(Vertx vertx) throws Exception {
    // GIVEN a stream that does not end
    streams.set(1);
    NodeDrain drain = new NodeDrain(vertx, node(0), Clock.systemUTC());

    // WHEN it drains with a one-second timeout and no stop
    drain.start(new NodeDrain.Settings(Duration.ZERO, Duration.ofSeconds(1), false));

    // THEN it ends drained, timed out with one stream, and does not ask to stop
    Poll.until("drained", Duration.ofSeconds(10), () -> "drained".equals(drain.status().getString("phase")));
    assertThat(drain.status().getBoolean("timedOut")).isTrue();
    assertThat(drain.status().getInteger("streams")).isEqualTo(1);
    assertThat(drain.stopRequested().isComplete()).isFalse();

    // AND a second drain request keeps the first one's settings
    assertThat(drain.start(new NodeDrain.Settings(Duration.ofMinutes(1), Duration.ofMinutes(1), true))
        .getBoolean("stop")).isFalse();
  }

  private NodeDrain.Node node(int agents) {
    return new NodeDrain.Node() {
      @Override
      public Future<Integer> handOffAgents() {
        handOffs.incrementAndGet();
        return Future.succeededFuture(agents);
      }

      @Override
      public int liveStreams() {
        return streams.get();
      }

      @Override
      public void changed() {
        changes.incrementAndGet();
      }
    };
  }
}
