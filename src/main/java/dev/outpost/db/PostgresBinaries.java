package dev.outpost.db;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;

/**
 * The PostgreSQL programs Outpost runs, unpacked from the archive in the jar (zonky's binaries artifact) into
 * {@code <data-dir>/db/runtime/PG-<digest>}, and how to run them: as root, in a user namespace of their own
 * ({@code unshare -U}: PostgreSQL refuses to run as root), and in a session of their own ({@code setsid}), so that
 * a Ctrl-C meant for the node does not stop the server under it. Blocking.
 */
final class PostgresBinaries {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresBinaries.class);
  /** Tests start many nodes in one JVM: each reuses the first one's binaries while they exist. */
  private static final Map<String, Path> UNPACKED = new ConcurrentHashMap<>();
  private static final Set<PosixFilePermission> OWNER_ONLY = Set.of(PosixFilePermission.OWNER_READ,
      PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);

  private final Path home;
  private final List<String> prefix;

  private PostgresBinaries(Path home, List<String> prefix) {
    this.home = home;
    this.prefix = List.copyOf(prefix);
  }

  /** The binaries under {@code runtime}, unpacked there first unless this JVM or an earlier start already did. */
  static PostgresBinaries unpack(Path runtime) throws IOException {
    byte[] archive = archive();
    String digest = digest(archive);
    Path home = UNPACKED.get(digest);
    if (home == null || !Files.isExecutable(home.resolve("bin/postgres"))) {
      home = runtime.resolve("PG-" + digest);
      if (!Files.isExecutable(home.resolve("bin/postgres"))) {
        extract(archive, runtime, home);
      }
      UNPACKED.put(digest, home);
    }
    return new PostgresBinaries(home, launchPrefix());
  }

  /** The command line that runs {@code program} (initdb, postgres, pg_ctl) with {@code args}. */
  List<String> command(String program, List<String> args) {
    List<String> command = new ArrayList<>(prefix);
    command.add(home.resolve("bin").resolve(program).toString());
    command.addAll(args);
    return command;
  }

  /** Where the programs live, for log lines. */
  Path home() {
    return home;
  }

  private static byte[] archive() throws IOException {
    String os = System.getProperty("os.name", "");
    String system = os.startsWith("Mac") ? "Darwin" : os.startsWith("Windows") ? "Windows" : "Linux";
    try (InputStream in = DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, System.getProperty("os.arch"))) {
      return in.readAllBytes();
    } catch (IllegalStateException e) {
      throw new IOException("no PostgreSQL binaries for " + os + " " + System.getProperty("os.arch")
          + " in this build", e);
    }
  }

  private static String digest(byte[] archive) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(archive), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Unpacks into a fresh directory that becomes {@code home} in one rename: a killed start leaves no half copy. */
  private static void extract(byte[] archive, Path runtime, Path home) throws IOException {
    long started = System.nanoTime();
    removeStaleStaging(runtime);
    Path staging = runtime.resolve(".unpacking-" + UUID.randomUUID());
    Files.createDirectories(staging);
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(new ByteArrayInputStream(archive)))) {
      for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
        extractEntry(tar, entry, staging);
      }
      Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteTree(staging);
    }
    LOG.info("Unpacked the PostgreSQL binaries into {} in {} ms", home, (System.nanoTime() - started) / 1_000_000);
  }

  private static void extractEntry(TarArchiveInputStream tar, TarArchiveEntry entry, Path root) throws IOException {
    Path target = root.resolve(entry.getName()).normalize();
    if (!target.startsWith(root)) {
      throw new IOException("the PostgreSQL archive names a path outside its directory: " + entry.getName());
    }
    if (entry.isDirectory()) {
      Files.createDirectories(target);
      return;
    }
    Files.createDirectories(target.getParent());
    if (entry.isSymbolicLink()) {
      Files.createSymbolicLink(target, Path.of(entry.getLinkName()));
    } else if (entry.isLink()) {
      Files.createLink(target, root.resolve(entry.getLinkName()).normalize());
    } else if (entry.isFile()) {
      Files.copy(tar, target);
      // the owner's bits of the archive, for the owner only: nobody else needs to read or run these
      Set<PosixFilePermission> permissions = (entry.getMode() & 0100) != 0 ? OWNER_ONLY
          : Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
      Files.setPosixFilePermissions(target, permissions);
    } else {
      throw new IOException("the PostgreSQL archive holds an entry of an unknown kind: " + entry.getName());
    }
  }

  /** Half copies that a start killed while unpacking left behind (the data dir's lock keeps out other starts). */
  private static void removeStaleStaging(Path runtime) throws IOException {
    try (Stream<Path> entries = Files.list(runtime)) {
      for (Path stale : entries.filter(p -> p.getFileName().toString().startsWith(".unpacking-")).toList()) {
        deleteTree(stale);
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  private static List<String> launchPrefix() {
    List<String> prefix = new ArrayList<>();
    if (onPath("setsid")) {
      prefix.add("setsid");
    } else {
      LOG.debug("No setsid on the PATH: the embedded PostgreSQL shares the node's session and terminal signals");
    }
    if (LinuxUtils.isUnshareAvailable()) {
      prefix.addAll(List.of("unshare", "-U"));
    }
    return prefix;
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    return path != null && Stream.of(path.split(java.io.File.pathSeparator))
        .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, program)));
  }
}
