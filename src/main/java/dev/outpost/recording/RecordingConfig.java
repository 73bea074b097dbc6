package dev.outpost.recording;

import java.time.Duration;
import java.util.Objects;

/**
 * Session recording on an appliance: {@code recording.*}. The loader checks the documented ranges; the constructor
 * refuses what no recorder could run with.
 *
 * @param maxBytes the largest a recording file grows; past it the rest of the session is not recorded
 * @param retention recordings older than this are deleted
 */
public record RecordingConfig(int maxBytes, Duration retention) {

  public static final int DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(30);
  /** The defaults, as a configuration without these keys gets them. */
  public static final RecordingConfig DEFAULTS = new RecordingConfig(DEFAULT_MAX_BYTES, DEFAULT_RETENTION);

  public RecordingConfig {
    if (maxBytes < 1024) {
      throw new IllegalArgumentException("recording.max-bytes must be at least 1024, not " + maxBytes);
    }
    Objects.requireNonNull(retention, "recording.retention");
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("recording.retention must be longer than zero, not " + retention);
    }
  }
}
