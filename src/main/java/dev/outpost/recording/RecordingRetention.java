package dev.outpost.recording;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.util.Objects;

/**
 * Keeps the node's recordings within {@code recording.retention}: creates their folder, deletes what is older at
 * start and then every {@link #INTERVAL} (off the event loop, see {@link Recordings#purge}).
 */
public final class RecordingRetention extends VerticleBase {

  /** How often old recordings are looked for. */
  public static final Duration INTERVAL = Duration.ofHours(1);

  private final Recordings recordings;

  public RecordingRetention(Recordings recordings) {
    this.recordings = Objects.requireNonNull(recordings);
  }

  @Override
  public Future<?> start() {
    return recordings.prepare()
        .compose(v -> recordings.purge())
        .onSuccess(deleted -> vertx.setPeriodic(INTERVAL.toMillis(), id -> recordings.purge()));
  }
}
