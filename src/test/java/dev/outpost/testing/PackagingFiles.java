package dev.outpost.testing;

import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Reads the packaging files (Dockerfile, Compose files, systemd unit, cloud-init user data) the way their tools do,
 * far enough for tests to check them and to run the very commands they hold: these machines have no Docker engine,
 * no systemd and no cloud-init to do it.
 */
public final class PackagingFiles {

  public static final Path DOCKERFILE = Path.of("docker/Dockerfile");
  public static final Path COMPOSE_ALL_IN_ONE = Path.of("docker/compose.yaml");
  public static final Path COMPOSE_SITE = Path.of("docker/compose.site.yaml");
  public static final Path SYSTEMD_UNIT = Path.of("packaging/systemd/outpost.service");
  public static final Path CLOUD_INIT = Path.of("packaging/cloud-init");

  private PackagingFiles() {
  }

  /** One Dockerfile instruction: its keyword (upper case) and its arguments, continuation lines joined. */
  public record Instruction(String keyword, String arguments) {

    /** The arguments of an exec-form instruction ({@code ["a", "b"]}). */
    public List<String> execForm() {
      List<String> args = new ArrayList<>();
      new JsonArray(arguments).forEach(item -> args.add((String) item));
      return args;
    }
  }

  /** One build stage: from {@code FROM image [AS name]} to the next {@code FROM}. */
  public record Stage(String image, String name, List<Instruction> instructions) {

    public List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    /** The only instruction with this keyword in the stage; fails when there is none or more than one. */
    public Instruction one(String keyword) {
      List<Instruction> found = all(keyword);
      if (found.size() != 1) {
        throw new AssertionError("expected exactly one " + keyword + " in stage " + name + ", found " + found.size());
      }
      return found.get(0);
    }
  }

  /** The stages of a Dockerfile, in order; the last one is the image. */
  public static List<Stage> dockerfile(Path file) {
    List<Stage> stages = new ArrayList<>();
    List<Instruction> current = null;
    StringBuilder line = new StringBuilder();
    for (String raw : read(file).lines().toList()) {
      String text = raw.strip();
      if (line.isEmpty() && (text.isEmpty() || text.startsWith("#"))) {
        continue;
      }
      if (text.startsWith("#")) {
        continue; // a comment inside a continued instruction
      }
      if (text.endsWith("\\")) {
        line.append(text, 0, text.length() - 1).append(' ');
        continue;
      }
      line.append(text);
      String instruction = line.toString().strip();
      line.setLength(0);
      int space = instruction.indexOf(' ');
      String keyword = instruction.substring(0, space).toUpperCase(Locale.ROOT);
      String arguments = instruction.substring(space + 1).strip().replaceAll("\\s+", " ");
      if (keyword.equals("FROM")) {
        String[] parts = arguments.split(" ");
        current = new ArrayList<>();
        stages.add(new Stage(parts[0], parts.length >= 3 && parts[1].equalsIgnoreCase("AS") ? parts[2] : null,
            current));
      } else if (current != null) {
        current.add(new Instruction(keyword, arguments));
      } else if (!keyword.equals("ARG")) {
        throw new AssertionError(file + ": " + keyword + " before the first FROM");
      }
    }
    return stages.stream().map(s -> new Stage(s.image(), s.name(), List.copyOf(s.instructions()))).toList();
  }

  /** The image's start command: ENTRYPOINT + CMD of its last stage. */
  public static List<String> imageStartCommand() {
    List<Stage> stages = dockerfile(DOCKERFILE);
    Stage image = stages.get(stages.size() - 1);
    List<String> command = new ArrayList<>(image.one("ENTRYPOINT").execForm());
    command.addAll(image.one("CMD").execForm());
    return List.copyOf(command);
  }

  /** The command of the image's HEALTHCHECK (shell form), as Docker runs it with {@code /bin/sh -c}. */
  public static String imageHealthCheck() {
    List<Stage> stages = dockerfile(DOCKERFILE);
    String check = stages.get(stages.size() - 1).one("HEALTHCHECK").arguments();
    return check.substring(check.indexOf(" CMD ") + 5);
  }

  /** A systemd unit: section name to key to values (a key may repeat), comments and blank lines dropped. */
  public static Map<String, Map<String, List<String>>> systemdUnit(Path file) {
    Map<String, Map<String, List<String>>> sections = new LinkedHashMap<>();
    Map<String, List<String>> current = null;
    for (String raw : read(file).lines().toList()) {
      String text = raw.strip();
      if (text.isEmpty() || text.startsWith("#") || text.startsWith(";")) {
        continue;
      }
      if (text.startsWith("[") && text.endsWith("]")) {
        current = sections.computeIfAbsent(text.substring(1, text.length() - 1), k -> new LinkedHashMap<>());
        continue;
      }
      int eq = text.indexOf('=');
      if (current == null || eq < 1) {
        throw new AssertionError(file + ": not a unit line: " + text);
      }
      current.computeIfAbsent(text.substring(0, eq).strip(), k -> new ArrayList<>())
          .add(text.substring(eq + 1).strip());
    }
    return sections;
  }

  /** The command line of a unit's one {@code ExecStart=} (unquoted words; the unit uses no quoting). */
  public static List<String> execStart(Path unit) {
    List<String> values = systemdUnit(unit).getOrDefault("Service", Map.of()).getOrDefault("ExecStart", List.of());
    if (values.size() != 1) {
      throw new AssertionError(unit + ": expected one ExecStart, found " + values);
    }
    return List.of(values.get(0).split("\\s+"));
  }

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\\}");

  /**
   * A Compose file as a map, with {@code ${VAR}}, {@code ${VAR:-default}} and {@code ${VAR:?message}} replaced
   * from {@code variables} the way Compose does it, and YAML anchors and merge keys resolved.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> compose(Path file, Map<String, String> variables) {
    String text = interpolate(read(file), variables::get, file);
    return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
  }

  /** A cloud-init user data file as a map; fails unless it starts with the line cloud-init requires. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> cloudConfig(Path file) {
    String text = read(file);
    if (!text.startsWith("#cloud-config\n")) {
      throw new AssertionError(file + ": cloud-init ignores user data that does not start with #cloud-config");
    }
    return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
  }

  /** The services of a Compose file. */
  @SuppressWarnings("unchecked")
  public static Map<String, Map<String, Object>> services(Map<String, Object> compose) {
    return (Map<String, Map<String, Object>>) compose.get("services");
  }

  static String interpolate(String text, Function<String, String> variables, Path file) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String value = variables.apply(m.group(1));
      String operator = m.group(2);
      boolean unset = operator != null && operator.startsWith(":") ? value == null || value.isEmpty() : value == null;
      if (unset && operator != null && operator.endsWith("?")) {
        throw new AssertionError(file + ": " + m.group(1) + " is required: " + m.group(3));
      }
      if (unset) {
        value = operator != null && operator.endsWith("-") ? m.group(3) : "";
      }
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
