package dev.outpost.it;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The processes one test starts in its work dir, all stopped when the test ends, also when it fails half-way:
 * every process is asked to stop first, then each is waited for, so that a site of several nodes stops in the
 * time of its slowest node rather than of all of them in turn.
 */
final class Processes implements AutoCloseable {

  private final Path workDir;
  private final List<OutpostProcess> started = new ArrayList<>();

  Processes(Path workDir) {
    this.workDir = workDir;
  }

  /** Starts {@code outpost args...} with {@code env} added to this JVM's environment. */
  OutpostProcess start(Map<String, String> env, String... args) {
    OutpostProcess process = OutpostProcess.start(workDir, env, args);
    started.add(process);
    return process;
  }

  @Override
  public void close() {
    for (OutpostProcess process : started) {
      process.requestStop();
    }
    for (OutpostProcess process : started) {
      process.close();
    }
  }
}
