package dev.outpost.appliance.config;

/**
 * A configuration value that Outpost cannot start with. Its message is one line that names the key, the
 * offending value, where it came from and how to fix it.
 */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String key;

  public ConfigException(String key, String message) {
    super(key + ": " + message);
    this.key = key;
  }

  /** The configuration key at fault, e.g. {@code http.port}. */
  public String key() {
    return key;
  }
}
