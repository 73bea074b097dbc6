package dev.outpost.appliance.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Resolves configuration with the precedence flags &gt; environment ({@code OUTPOST_*}) &gt; {@code --config}
 * file &gt; defaults, and validates every value once.
 */
public final class ConfigLoader {

  private final List<ConfigSource> sources;
  private final Map<String, String> env;

  private ConfigLoader(List<ConfigSource> sources, Map<String, String> env) {
    this.sources = List.copyOf(sources);
    this.env = Map.copyOf(env);
  }

  /**
   * @param flags values given on the command line, by key name
   * @param env the process environment
   * @param configFile the {@code --config} file, or {@code null}
   */
  public static ConfigLoader create(Map<String, String> flags, Map<String, String> env, Path configFile) {
    List<ConfigSource> sources = new ArrayList<>();
    sources.add(new ConfigSource("command line", flags));
    sources.add(fromEnvironment(env));
    if (configFile != null) {
      sources.add(fromFile(configFile));
    }
    return new ConfigLoader(sources, env);
  }

  /** Resolves and validates everything into the typed configuration. */
  public OutpostConfig load() {
    return OutpostConfig.from(this);
  }

  /** The validated value of one key from the highest-precedence source that sets it. */
  public <T> T get(ConfigKey<T> key) {
    for (ConfigSource source : sources) {
      String raw = source.values().get(key.name());
      if (raw != null) {
        return key.parse(raw, describe(source, key));
      }
    }
    return key.parse(key.defaultValue(), "the default");
  }

  /**
   * The value of the first of the standard (not {@code OUTPOST_*}) environment variables {@code names} that is
   * set, validated as {@code key}; the key's default when none is. For keys that fall back to a convention
   * other tools share, like {@code HTTPS_PROXY}.
   */
  public <T> T standardVariable(ConfigKey<T> key, List<String> names) {
    for (String name : names) {
      String raw = env.get(name);
      if (raw != null && !raw.isBlank()) {
        return key.parse(raw, name);
      }
    }
    return key.parse(key.defaultValue(), "the default");
  }

  private static String describe(ConfigSource source, ConfigKey<?> key) {
    if (source.label().equals("command line") && key.flag() != null) {
      return key.flag();
    }
    if (source.label().equals("environment")) {
      return key.envVar();
    }
    return source.label();
  }

  static ConfigSource fromEnvironment(Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    for (ConfigKey<?> key : ConfigKeys.all()) {
      String value = env.get(key.envVar());
      if (value != null) {
        values.put(key.name(), value);
      }
    }
    return new ConfigSource("environment", values);
  }

  static ConfigSource fromFile(Path file) {
    Objects.requireNonNull(file);
    if (!Files.isReadable(file)) {
      throw new ConfigException("config",
          "file " + file + " does not exist or is not readable; check the --config path");
    }
    Object document;
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      document = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
    } catch (YAMLException e) {
      String reason = e.getMessage() == null ? "invalid YAML"
          : e.getMessage().lines().findFirst().orElse("invalid YAML");
      throw new ConfigException("config", "file " + file + " is not valid YAML (" + reason + "); fix the file");
    } catch (IOException e) {
      throw new ConfigException("config", "file " + file + " cannot be read (" + e.getMessage() + ")");
    }
    Map<String, String> flat = new LinkedHashMap<>();
    if (document != null) {
      if (!(document instanceof Map<?, ?> map)) {
        throw new ConfigException("config",
            "file " + file + " must hold a YAML mapping of keys, see conf/outpost.yaml");
      }
      flatten("", map, flat, file);
    }
    return new ConfigSource("config file " + file, flat);
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, String> out, Path file) {
    for (Map.Entry<?, ?> entry : map.entrySet()) {
      String name = prefix + entry.getKey();
      Object value = entry.getValue();
      if (value instanceof Map<?, ?> nested && ConfigKeys.byName(name) == null) {
        flatten(name + ".", nested, out, file);
        continue;
      }
      if (ConfigKeys.byName(name) == null) {
        throw new ConfigException(name,
            "unknown key in " + file + "; remove it or use a key listed in conf/outpost.yaml");
      }
      out.put(name, render(name, value, file));
    }
  }

  private static String render(String name, Object value, Path file) {
    if (value == null) {
      return "";
    }
    if (value instanceof List<?> list) {
      List<String> parts = new ArrayList<>();
      for (Object item : list) {
        if (item instanceof Map<?, ?> || item instanceof List<?>) {
          throw new ConfigException(name, "must be a list of plain values in " + file);
        }
        parts.add(String.valueOf(item));
      }
      return String.join(",", parts);
    }
    if (value instanceof Map<?, ?>) {
      throw new ConfigException(name, "must be a plain value, not a mapping, in " + file);
    }
    return String.valueOf(value);
  }
}
