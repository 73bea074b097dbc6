package dev.outpost.appliance.config;

import java.util.Locale;
import java.util.Objects;

/**
 * One documented configuration key: its dotted name, the command-line flag that sets it (if any), its
 * default and a parser that validates raw text into a typed value.
 *
 * @param <T> the typed value
 */
public final class ConfigKey<T> {

  /** Turns raw text into a value or explains in a few words why it cannot. */
  @FunctionalInterface
  public interface Parser<T> {
    T parse(String raw) throws IllegalArgumentException;
  }

  private final String name;
  private final String flag;
  private final String defaultValue;
  private final String description;
  private final Parser<T> parser;
  private final boolean secret;

  ConfigKey(String name, String flag, String defaultValue, String description, Parser<T> parser, boolean secret) {
    this.secret = secret;
    this.name = Objects.requireNonNull(name);
    this.flag = flag;
    this.defaultValue = Objects.requireNonNull(defaultValue);
    this.description = Objects.requireNonNull(description);
    this.parser = Objects.requireNonNull(parser);
  }

  public String name() {
    return name;
  }

  /** The flag that sets this key on the command line, or {@code null}. */
  public String flag() {
    return flag;
  }

  public String defaultValue() {
    return defaultValue;
  }

  /** Whether values of this key may hold a secret and must never be echoed. */
  public boolean secret() {
    return secret;
  }

  public String description() {
    return description;
  }

  /** The environment variable that sets this key: {@code OUTPOST_} + the name in upper snake case. */
  public String envVar() {
    return "OUTPOST_" + name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  /** Parses a raw value, turning a parser complaint into a one-line {@link ConfigException}. */
  public T parse(String raw, String source) {
    try {
      return parser.parse(raw.trim());
    } catch (IllegalArgumentException e) {
      String shown = secret ? "(value hidden)" : "'" + raw + "'";
      throw new ConfigException(name, shown + " (from " + source + ") " + e.getMessage() + "; " + howToSet());
    }
  }

  /** Where a user can change this key, for error messages. */
  public String howToSet() {
    String places = (flag == null ? "" : "flag " + flag + ", ") + "env " + envVar() + " or key " + name
        + " in the --config file";
    return "set it with " + places;
  }
}
