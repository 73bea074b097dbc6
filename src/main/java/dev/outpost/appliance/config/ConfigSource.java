package dev.outpost.appliance.config;

import java.util.Map;

/** Raw configuration values from one place (flags, environment, a file), with a label for messages. */
public record ConfigSource(String label, Map<String, String> values) {

  public ConfigSource {
    values = Map.copyOf(values);
  }
}
