package dev.outpost.appliance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * What a restore makes in a data dir, so that a restore that fails (a wrong passphrase, a damaged archive, a
 * database that refuses the tables) leaves the data dir as it found it instead of half made: a node must not later
 * start on a lock file, a database or certificates that are no site. Taken before the restore touches anything.
 */
final class RestoreLeftovers {

  /** The first of the data dir and its parents that did not exist: the restore made it, and all below it. */
  private final Path madeRoot;
  private final Path dataDir;
  /** The data dir's entries before, when it existed. */
  private final Set<String> before;

  private RestoreLeftovers(Path dataDir, Path madeRoot, Set<String> before) {
    this.dataDir = dataDir;
    this.madeRoot = madeRoot;
    this.before = before;
  }

  /** Notes what is there now. */
  static RestoreLeftovers before(Path dataDir) {
    Path dir = dataDir.toAbsolutePath().normalize();
    if (!Files.exists(dir)) {
      Path root = dir;
      while (root.getParent() != null && !Files.exists(root.getParent())) {
        root = root.getParent();
      }
      return new RestoreLeftovers(dir, root, Set.of());
    }
    return new RestoreLeftovers(dir, null, entries(dir));
  }

  /**
   * Deletes what was made since {@link #before}; call once the data dir's lock is released. Returns what it did, in
   * words for the end of the one line that reports the failure.
   */
  String remove() {
    try {
      if (madeRoot != null) {
        deleteTree(madeRoot);
        return "removed " + madeRoot + ", which the restore had made";
      }
      List<String> made = new ArrayList<>(entries(dataDir));
      made.removeAll(before);
      if (made.isEmpty()) {
        return "nothing was written to " + dataDir;
      }
      for (String name : made) {
        deleteTree(dataDir.resolve(name));
      }
      return "removed " + String.join(", ", made) + " from " + dataDir + ", which the restore had made";
    } catch (IOException | UncheckedIOException e) {
      return "could not remove all it had made in " + dataDir + " (" + e.getMessage() + "): remove it by hand "
          + "before a node starts there";
    }
  }

  private static Set<String> entries(Path dir) {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    } catch (IOException e) {
      return Set.of();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
