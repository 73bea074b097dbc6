package dev.outpost.admin;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Tamper evidence and export of the audit log: {@code audit.*}.
 *
 * @param checkpointInterval how often the site signs the chain's head when it moved
 * @param syslog where entries are delivered as RFC 5424 syslog over TLS, if anywhere
 */
public record AuditConfig(Duration checkpointInterval, Optional<Syslog> syslog) {

  public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofMinutes(1);
  /** Signed checkpoints at the default interval, no syslog export. */
  public static final AuditConfig DEFAULTS = new AuditConfig(DEFAULT_CHECKPOINT_INTERVAL, Optional.empty());

  public AuditConfig {
    Objects.requireNonNull(checkpointInterval);
    Objects.requireNonNull(syslog);
    if (checkpointInterval.isNegative() || checkpointInterval.isZero()) {
      throw new IllegalArgumentException("the checkpoint interval must be positive");
    }
  }

  /**
   * Syslog export: {@code audit.syslog.*}.
   *
   * @param collectors {@code host:port} of the collectors, tried in order
   * @param caFile the PEM file of the CA certificates that sign the collectors' certificates; empty: the JVM's
   * @param facility the syslog facility of every message
   */
  public record Syslog(List<String> collectors, Optional<Path> caFile, Facility facility) {

    public static final int DEFAULT_PORT = 6514;

    public Syslog {
      collectors = List.copyOf(collectors);
      if (collectors.isEmpty()) {
        throw new IllegalArgumentException("syslog export needs at least one collector");
      }
      Objects.requireNonNull(caFile);
      Objects.requireNonNull(facility);
    }
  }

  /** The facilities audit messages may carry (RFC 5424 numbers). */
  public enum Facility {
    AUTH(4), AUTHPRIV(10), LOCAL0(16), LOCAL1(17), LOCAL2(18), LOCAL3(19), LOCAL4(20), LOCAL5(21), LOCAL6(22),
    LOCAL7(23);

    private static final Map<String, Facility> BY_NAME = java.util.Arrays.stream(values())
        .collect(java.util.stream.Collectors.toMap(f -> f.name().toLowerCase(Locale.ROOT), f -> f));

    private final int code;

    Facility(int code) {
      this.code = code;
    }

    public int code() {
      return code;
    }

    /** The facility of a configuration value ({@code authpriv}, {@code local0}, ...). */
    public static Facility of(String name) {
      Facility facility = BY_NAME.get(name.toLowerCase(Locale.ROOT));
      if (facility == null) {
        throw new IllegalArgumentException("must be one of " + String.join(", ", names()));
      }
      return facility;
    }

    /** The names a configuration may use, in order. */
    public static List<String> names() {
      return java.util.Arrays.stream(values()).map(f -> f.name().toLowerCase(Locale.ROOT)).toList();
    }
  }
}
