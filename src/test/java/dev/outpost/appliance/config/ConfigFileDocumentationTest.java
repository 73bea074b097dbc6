package dev.outpost.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code conf/outpost.yaml} in step with {@link ConfigKeys}: it must list every key with its default, and
 * document each key's name, flag and environment variable right above it.
 */
class ConfigFileDocumentationTest {

  private static final Path FILE = Path.of("conf/outpost.yaml");

  @Test
  void loadingTheDocumentedFileGivesTheDefaultConfiguration() {
    // GIVEN the shipped config file and no flags or environment
    // WHEN it is loaded
    OutpostConfig fromFile = ConfigLoader.create(Map.of(), Map.of(), FILE).load();

    // THEN the configuration is exactly the one without any file
    assertThat(fromFile).isEqualTo(ConfigLoader.create(Map.of(), Map.of(), null).load());
  }

  @Test
  void everyKeyIsSetExplicitlyToItsDefault() {
    // GIVEN the raw values the file sets
    Map<String, String> values = ConfigLoader.fromFile(FILE).values();

    // THEN it sets every key, and each to the very default declared in ConfigKeys
    Map<String, String> defaults = new LinkedHashMap<>();
    ConfigKeys.all().forEach(key -> defaults.put(key.name(), key.defaultValue()));
    assertThat(values).containsExactlyInAnyOrderEntriesOf(defaults);
  }

  @Test
  void everyKeyIsDocumentedWithItsFlagAndEnvironmentVariable() throws IOException {
    // GIVEN the file's text
    String text = Files.readString(FILE, StandardCharsets.UTF_8);
    List<String> lines = text.lines().toList();

    for (ConfigKey<?> key : ConfigKeys.all()) {
      // THEN every name, env var and flag appears in it
      assertThat(text).as("key name").contains(key.name());
      assertThat(text).as("env var of " + key.name()).contains(key.envVar());
      if (key.flag() != null) {
        assertThat(text).as("flag of " + key.name()).contains(key.flag());
      }

      // AND they are in the comment right above that key's own line
      String comment = String.join("\n", commentAbove(lines, key));
      assertThat(comment).as("comment of " + key.name()).contains(key.envVar());
      if (key.flag() != null) {
        assertThat(comment).as("comment of " + key.name())
            .containsPattern("flag " + Pattern.quote(key.flag()) + "(?![\\w-])");
      } else {
        assertThat(comment).as("comment of " + key.name()).doesNotContain("flag ");
      }
    }
  }

  /** The comment block that starts with "# name:" and the key line that follows it must match. */
  private static List<String> commentAbove(List<String> lines, ConfigKey<?> key) {
    String start = "# " + key.name() + ":";
    int first = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().startsWith(start)) {
        assertThat(first).as("one comment block for " + key.name()).isEqualTo(-1);
        first = i;
      }
    }
    assertThat(first).as("comment block starting with '" + start + "'").isNotNegative();
    List<String> block = new ArrayList<>();
    int i = first;
    while (i < lines.size() && lines.get(i).strip().startsWith("#")) {
      block.add(lines.get(i));
      i++;
    }
    String leaf = key.name().substring(key.name().lastIndexOf('.') + 1);
    assertThat(i).as("a key line after the comment of " + key.name()).isLessThan(lines.size());
    assertThat(lines.get(i).strip()).as("line after the comment of " + key.name()).startsWith(leaf + ":");
    return block;
  }
}
