package dev.outpost.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The real {@code outpost} jar run as a separate process, as an operator would run it. */
public final class OutpostProcess implements AutoCloseable {

  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private OutpostProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** The jar under test: built by {@code mvn package} before the integration tests run. */
  public static Path jar() {
    Path jar = Path.of(System.getProperty("outpost.jar", "target/outpost.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no " + jar + ": run the integration tests with 'mvn verify'");
    }
    return jar;
  }

  /** The JVM flags the launch script and container use, so tests run the same command. */
  public static List<String> command(String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar().toString()));
    command.addAll(List.of(args));
    return command;
  }

  public static OutpostProcess start(Path workDir, Map<String, String> env, String... args) {
    return startCommand(workDir, env, command(args));
  }

  /**
   * Runs a whole command line as given, e.g. the start command of a packaging file with its paths pointed at
   * this build's jar and a test data dir.
   */
  public static OutpostProcess startCommand(Path workDir, Map<String, String> env, List<String> commandLine) {
    return startCommand(workDir, env, commandLine, null);
  }

  /** Like {@link #startCommand(Path, Map, List)}, with {@code stdin} piped in (not a terminal), or none if null. */
  static OutpostProcess startCommand(Path workDir, Map<String, String> env, List<String> commandLine, String stdin) {
    try {
      Files.createDirectories(workDir);
      Path out = Files.createTempFile(workDir, "stdout", ".txt");
      Path err = Files.createTempFile(workDir, "stderr", ".txt");
      java.io.File in = new java.io.File("/dev/null");
      if (stdin != null) {
        in = Files.writeString(Files.createTempFile(workDir, "stdin", ".txt"), stdin, StandardCharsets.UTF_8).toFile();
      }
      ProcessBuilder builder = new ProcessBuilder(commandLine).directory(workDir.toFile())
          .redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(in));
      builder.environment().keySet().removeIf(k -> k.startsWith("OUTPOST_"));
      builder.environment().putAll(env);
      return new OutpostProcess(builder.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs a command to completion (for --help and friends) and returns exit code and output. */
  public static Result run(Path workDir, String... args) {
    return run(workDir, Map.of(), null, args);
  }

  /**
   * Runs a command to completion with {@code env} added to this JVM's environment and {@code stdin} piped in
   * ({@code echo ... | outpost ...}; none if null).
   */
  public static Result run(Path workDir, Map<String, String> env, String stdin, String... args) {
    try (OutpostProcess p = startCommand(workDir, env, command(args), stdin)) {
      if (!p.process.waitFor(60, TimeUnit.SECONDS)) {
        throw new AssertionError("outpost " + String.join(" ", args) + " did not finish within 60 s");
      }
      return new Result(p.process.exitValue(), p.stdout(), p.stderr());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Exit code and output of a finished command. */
  public record Result(int exitCode, String stdout, String stderr) {
  }

  /** Waits until stdout has a line matching {@code regex}; returns the first group (or the line). */
  public String awaitStdout(String regex, Duration timeout) {
    Pattern pattern = Pattern.compile(regex);
    Instant deadline = Instant.now().plus(timeout);
    while (Instant.now().isBefore(deadline)) {
      Matcher m = pattern.matcher(stdout());
      if (m.find()) {
        return m.groupCount() > 0 ? m.group(1) : m.group();
      }
      if (!process.isAlive()) {
        throw new AssertionError("outpost exited with " + process.exitValue() + " before printing /" + regex
            + "/\nstdout:\n" + stdout() + "\nstderr:\n" + tail(stderr()));
      }
      pause();
    }
    throw new AssertionError("no /" + regex + "/ on stdout within " + timeout + "\nstdout:\n" + stdout()
        + "\nstderr:\n" + tail(stderr()));
  }

  /** Sends SIGTERM and waits for the process to exit; returns the exit code. */
  public int stop() {
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("outpost did not stop within 60 s of SIGTERM");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return process.exitValue();
  }

  /** Waits for the process to exit by itself; returns the exit code. */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("outpost did not exit within " + timeout + "\nstdout:\n" + tail(stdout())
            + "\nstderr:\n" + tail(stderr()));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return process.exitValue();
  }

  /** Kills the process with SIGKILL (no clean-up, like a crash or power loss) and waits for it to be gone. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public long pid() {
    return process.pid();
  }

  public String stdout() {
    return read(stdout);
  }

  public String stderr() {
    return read(stderr);
  }

  /** Sends SIGTERM without waiting; {@link #close()} waits. */
  void requestStop() {
    if (process.isAlive()) {
      process.destroy();
    }
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String tail(String text) {
    return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
  }

  /** Polling interval while waiting for output; not a synchronisation sleep (the caller has a deadline). */
  private static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
