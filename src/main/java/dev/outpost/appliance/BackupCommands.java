package dev.outpost.appliance;

import dev.outpost.admin.cli.AdminCliException;
import dev.outpost.appliance.config.ConfigException;
import dev.outpost.appliance.config.ConfigKeys;
import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.backup.BackupException;
import dev.outpost.backup.SiteBackup;
import dev.outpost.backup.impl.ArchiveCipher;
import dev.outpost.db.DatabaseUnavailableException;
import dev.outpost.error.Failures;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code outpost admin backup} and {@code outpost admin restore}: unlike the other admin commands they work
 * on a node's data dir and database directly, on the machine the node runs on, as the user it runs as. The
 * archive holds the site CA's private key: taking it must need the same access as reading the data dir, not
 * just an admin session that a stolen cookie or token also gives (which an admin API endpoint would allow), and
 * a restore has to happen where no node runs yet anyway.
 */
final class BackupCommands {

  static final int MIN_PASSPHRASE = 12;

  private BackupCommands() {
  }

  /** A backup or a restore of one site. */
  @FunctionalInterface
  interface Operation {
    Future<SiteBackup.Summary> apply(SiteBackup site, char[] passphrase, boolean nodeRunning);
  }

  /** Where the node's state is: the same keys, flags and environment as {@code outpost appliance}. */
  static final class Location {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "The node's data dir (default: data-dir from "
        + "--config or OUTPOST_DATA_DIR, else ./data).")
    String dataDir;

    @Option(names = "--config", paramLabel = "FILE", description = "The node's configuration file, for data-dir and "
        + "db.url.")
    Path config;

    @Option(names = "--db-url", paramLabel = "URL", description = "The node's external PostgreSQL (default: db.url "
        + "from --config or OUTPOST_DB_URL, else the embedded one in the data dir).")
    String dbUrl;

    @Option(names = "--passphrase-file", paramLabel = "FILE", description = "Read the archive's passphrase from "
        + "the first line of this file (default: ask on the terminal).")
    Path passphraseFile;

    OutpostConfig config() {
      Map<String, String> flags = new LinkedHashMap<>();
      CommonOptions.put(flags, ConfigKeys.DATA_DIR.name(), dataDir);
      CommonOptions.put(flags, ConfigKeys.DB_URL.name(), dbUrl);
      try {
        return ConfigLoader.create(flags, System.getenv(), config).load();
      } catch (ConfigException e) {
        throw new AdminCliException(AdminCommand.USAGE, "configuration error: " + e.getMessage());
      }
    }

    char[] passphrase(boolean confirm) {
      if (passphraseFile != null) {
        try {
          String line = Files.readString(passphraseFile, StandardCharsets.UTF_8).lines().findFirst().orElse("");
          return line.toCharArray();
        } catch (IOException e) {
          throw new AdminCliException(AdminCommand.USAGE, "--passphrase-file: cannot read " + passphraseFile);
        }
      }
      java.io.Console terminal = System.console();
      if (terminal == null) {
        throw new AdminCliException(AdminCommand.USAGE, "no terminal to ask for the passphrase on: pass "
            + "--passphrase-file FILE");
      }
      char[] typed = terminal.readPassword("Archive passphrase: ");
      if (confirm) {
        char[] again = terminal.readPassword("Again: ");
        if (typed == null || !Arrays.equals(typed, again)) {
          throw new AdminCliException(AdminCommand.USAGE, "the two passphrases differ");
        }
      }
      return typed == null ? new char[0] : typed;
    }

    /**
     * The course both commands share: the configuration, the data dir's owner, the passphrase, the data dir's
     * lock (a backup works next to a running node, a restore only without one), the operation, and its summary
     * as JSON on stdout.
     */
    int perform(AdminCommand parent, boolean backup, Operation operation) {
      OutpostConfig config = config();
      Path dataDir = config.dataDir();
      if (Files.isDirectory(dataDir)) {
        checkOwner(dataDir);
      } else if (backup) {
        throw new AdminCliException(AdminCommand.FAILED, "no data dir " + dataDir + ": check --data-dir");
      }
      char[] passphrase = passphrase(backup);
      if (backup && passphrase.length < MIN_PASSPHRASE) {
        throw new AdminCliException(AdminCommand.USAGE, "the passphrase must have at least " + MIN_PASSPHRASE
            + " characters");
      }
      RestoreLeftovers leftovers = backup ? null : RestoreLeftovers.before(dataDir);
      DataDirLock lock = tryLock(dataDir);
      if (lock == null && !backup) {
        throw new AdminCliException(AdminCommand.FAILED, "a node runs on " + dataDir + ": stop it first "
            + "(systemctl stop outpost, docker stop ...)");
      }
      SiteBackup.Summary summary;
      try {
        summary = run(vertx -> operation.apply(new SiteBackup(vertx, dataDir, config.db(),
            Version.current(), ArchiveCipher.DEFAULT), passphrase, lock == null));
      } catch (RuntimeException e) {
        if (lock != null) {
          lock.close();
        }
        if (leftovers == null) {
          throw e;
        }
        // a failed restore leaves the data dir as it was: no lock file, database or certificates of no site
        AdminCliException failed = e instanceof AdminCliException known ? known
            : new AdminCliException(AdminCommand.FAILED, Failures.rootMessage(e));
        throw new AdminCliException(failed.exitCode(), failed.getMessage() + "; " + leftovers.remove());
      } finally {
        if (lock != null) {
          lock.close();
        }
        Arrays.fill(passphrase, '\0');
      }
      PrintWriter out = parent.spec.commandLine().getOut();
      out.println(summary.toJson().put("dataDir", dataDir.toString()).encodePrettily());
      out.flush();
      return 0;
    }

    /** Fails when the data dir belongs to another user: files written here must stay readable by the node. */
    void checkOwner(Path dir) {
      try {
        String owner = Files.getOwner(dir).getName();
        String me = System.getProperty("user.name");
        if (!owner.equals(me)) {
          throw new AdminCliException(AdminCommand.FAILED, dir + " belongs to user '" + owner + "', not '" + me
              + "': run this as that user, e.g. sudo -u " + owner + " outpost admin ...");
        }
      } catch (IOException e) {
        throw new AdminCliException(AdminCommand.FAILED, "cannot read the owner of " + dir + ": " + e.getMessage());
      }
    }
  }

  @Command(name = "backup", mixinStandardHelpOptions = true, sortOptions = false, description = {
      "Write an encrypted archive of the site: its configuration (pools, resources, entitlements, users with their",
      "password hashes, groups, locations, directories, enrolled hosts and appliances, tokens) and the keys and",
      "certificates that make a node part of it (site CA, directory secrets key, hub membership). Run it on a",
      "node's machine, as the user the node runs as; the node may keep running (the database is read in one",
      "consistent snapshot). The archive is encrypted with AES-256-GCM under a key derived from the passphrase",
      "(argon2id): keep both safe, the archive holds the site CA's private key.",
      "",
      "  sudo -u outpost outpost admin backup /var/backups/outpost-site.opb --data-dir /var/lib/outpost \\",
      "      --passphrase-file /root/backup-passphrase",
      ""})
  static final class Backup implements java.util.concurrent.Callable<Integer> {
    @ParentCommand
    AdminCommand parent;

    @picocli.CommandLine.Mixin
    Location location;

    @Parameters(paramLabel = "FILE", description = "The archive to write (must not exist).")
    Path archive;

    @Override
    public Integer call() {
      return parent.guarded(() -> location.perform(parent, true,
          (site, passphrase, nodeRunning) -> site.backup(archive.toAbsolutePath(), passphrase, nodeRunning)));
    }
  }

  @Command(name = "restore", mixinStandardHelpOptions = true, sortOptions = false, description = {
      "Bring a node back as the site of an archive from 'outpost admin backup': writes the site CA and hub",
      "membership into the data dir and the configuration into its database (embedded or --db-url), then you",
      "start the node as usual. The node must be stopped; the data dir and database must be fresh unless you",
      "pass --replace. Run it as the user the node runs as. A restore that fails removes what it had made in the",
      "data dir (the data dir too, if it made it) and says so.",
      "",
      "  sudo -u outpost outpost admin restore /var/backups/outpost-site.opb --data-dir /var/lib/outpost \\",
      "      --passphrase-file /root/backup-passphrase && systemctl start outpost",
      ""})
  static final class Restore implements java.util.concurrent.Callable<Integer> {
    @ParentCommand
    AdminCommand parent;

    @picocli.CommandLine.Mixin
    Location location;

    @Option(names = "--replace", description = "Overwrite a data dir and database that hold another site.")
    boolean replace;

    @Parameters(paramLabel = "FILE", description = "The archive to restore.")
    Path archive;

    @Override
    public Integer call() {
      return parent.guarded(() -> {
        if (!Files.isReadable(archive)) {
          throw new AdminCliException(AdminCommand.USAGE, "cannot read " + archive);
        }
        return location.perform(parent, false,
            (site, passphrase, nodeRunning) -> site.restore(archive.toAbsolutePath(), passphrase, replace));
      });
    }
  }

  /** The data dir's lock, or null when a node holds it. */
  private static DataDirLock tryLock(Path dataDir) {
    try {
      return DataDirLock.tryAcquire(dataDir);
    } catch (StartupException e) {
      throw new AdminCliException(AdminCommand.FAILED, e.getMessage());
    }
  }

  /** Runs one operation on a Vert.x of its own and waits for it; its failure becomes one line. */
  private static <T> T run(Function<Vertx, Future<T>> operation) {
    Vertx vertx = Vertx.vertx();
    try {
      return operation.apply(vertx).toCompletionStage().toCompletableFuture().get(30, TimeUnit.MINUTES);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw new AdminCliException(AdminCommand.FAILED, cause instanceof BackupException
          || cause instanceof DatabaseUnavailableException ? cause.getMessage() : Failures.rootMessage(cause));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AdminCliException(AdminCommand.FAILED, "interrupted");
    } catch (java.util.concurrent.TimeoutException e) {
      throw new AdminCliException(AdminCommand.FAILED, "gave up after 30 minutes");
    } finally {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // exiting anyway
      }
    }
  }
}
