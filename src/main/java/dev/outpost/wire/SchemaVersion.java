package dev.outpost.wire;

import io.vertx.core.json.JsonObject;
import java.util.Optional;

/**
 * The one rule for every versioned JSON that Outpost nodes, hubs and agents exchange or share in the cluster (wire
 * messages, Hazelcast entries, event-bus messages), so that versions N and N+1 run side by side during a rolling
 * upgrade:
 *
 * <ul>
 *   <li>{@value #FIELD} is the major schema version (an integer, 1 today); {@value #MINOR_FIELD} the minor one,
 *       written only when above 0. A new minor only adds optional fields; anything else is a new major.</li>
 *   <li>Readers accept their major with any minor, ignore fields they do not know, treat a missing {@value #FIELD}
 *       as 1 (data written before versions were stamped), and refuse any other major with a clear reason instead of
 *       misreading it.</li>
 * </ul>
 *
 * Each protocol or structure keeps its major as a constant next to its other wire constants and reads through
 * {@link #refusal} or {@link #require}.
 */
public final class SchemaVersion {

  /** Major schema version field. */
  public static final String FIELD = "v";
  /** Minor schema version field; absent means 0. */
  public static final String MINOR_FIELD = "vMinor";
  /**
   * Testing aid (see {@code Version.TESTING_PROPERTY}): a process started with this system property writes every
   * versioned message as the next minor version would, with {@value #TESTING_FIELD}, a field no reader knows.
   */
  public static final String TESTING_PROPERTY = "outpost.testing.version";
  /** The unknown field a process under the testing aid adds to what it writes. */
  public static final String TESTING_FIELD = "nextVersionField";
  /** Major version of data written before versions were stamped. */
  private static final int UNSTAMPED = 1;

  private SchemaVersion() {
  }

  /** Thrown by readers of shared data for an entry of a major version they cannot read. */
  public static final class UnreadableException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    UnreadableException(String message) {
      super(message);
    }
  }

  /**
   * Puts {@code major} (and, under the testing aid, the next minor and an unknown field) on a message being written;
   * returns it.
   */
  public static JsonObject stamp(JsonObject message, int major) {
    message.put(FIELD, major);
    if (testingNext()) {
      message.put(MINOR_FIELD, 1).put(TESTING_FIELD, "ignored by readers of minor 0");
    }
    return message;
  }

  /**
   * Why a reader of {@code major} must not read {@code message}, or empty when it may: the same major with any minor,
   * or no version at all (read as 1).
   *
   * @param what the protocol or structure, for the reason (e.g. "agent-link")
   */
  public static Optional<String> refusal(JsonObject message, int major, String what) {
    Object v = message.getValue(FIELD);
    if (v == null) {
      return major == UNSTAMPED ? Optional.empty()
          : Optional.of(what + " message without a schema version (read as 1); this version reads " + major + ".x");
    }
    if (!(v instanceof Number number) || number.doubleValue() != number.intValue()) {
      return Optional.of(what + " schema version " + v + " is not a whole number");
    }
    if (number.intValue() != major) {
      return Optional.of("unsupported " + what + " schema version " + number.intValue() + "; this version reads "
          + major + ".x (upgrade every node of the site to the same major version)");
    }
    return Optional.empty();
  }

  /**
   * Returns {@code message} when a reader of {@code major} may read it.
   *
   * @throws UnreadableException naming the versions when it may not
   */
  public static JsonObject require(JsonObject message, int major, String what) {
    Optional<String> refused = refusal(message, major, what);
    if (refused.isPresent()) {
      throw new UnreadableException(refused.get());
    }
    return message;
  }

  /** Whether this process plays the next version for a rolling-upgrade test ({@link #TESTING_PROPERTY}). */
  public static boolean testingNext() {
    String testing = System.getProperty(TESTING_PROPERTY);
    return testing != null && !testing.isBlank();
  }
}
