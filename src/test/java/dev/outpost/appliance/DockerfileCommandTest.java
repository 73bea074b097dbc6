package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The container's start command is written once, as ENTRYPOINT + CMD in {@code docker/Dockerfile}; this keeps
 * it a command line that the jar accepts and that uses the image's volume and health endpoint.
 */
class DockerfileCommandTest {

  private static final Path DOCKERFILE = Path.of("docker/Dockerfile");

  @Test
  void startCommandIsAValidApplianceCommandLineOnTheDataVolume() throws IOException {
    // GIVEN the Dockerfile
    String text = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);

    // WHEN its ENTRYPOINT and CMD are read
    List<String> entrypoint = execForm(text, "ENTRYPOINT");
    List<String> cmd = execForm(text, "CMD");

    // THEN they run the jar's appliance command on the volume, and the jar's CLI accepts the arguments
    assertThat(entrypoint).containsExactly("java", "-jar", "/opt/outpost/outpost.jar");
    assertThat(cmd).containsExactly("appliance", "--data-dir", "/var/lib/outpost");
    assertThat(text).contains("VOLUME [\"/var/lib/outpost\"]");
    CommandLine.ParseResult parsed = new CommandLine(new Outpost()).parseArgs(cmd.toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("appliance");
  }

  @Test
  void healthCheckCallsReadiness() throws IOException {
    String text = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);

    assertThat(text).containsPattern("(?m)^HEALTHCHECK .*\\\\\\n\\s+CMD curl -fsk .*/health/ready");
  }

  /** The JSON array of the one instruction of this name (exec form). */
  private static List<String> execForm(String dockerfile, String instruction) {
    Matcher m = Pattern.compile("(?m)^" + instruction + "\\s+(\\[.*\\])\\s*$").matcher(dockerfile);
    List<String> found = new ArrayList<>();
    while (m.find()) {
      found.add(m.group(1));
    }
    assertThat(found).as(instruction + " in exec form, exactly once").hasSize(1);
    List<String> args = new ArrayList<>();
    new JsonArray(found.get(0)).forEach(item -> args.add((String) item));
    return args;
  }
}
