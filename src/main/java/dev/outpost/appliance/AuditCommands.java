package dev.outpost.appliance;

import dev.outpost.admin.cli.AdminCliException;
import dev.outpost.admin.cli.AdminConnection;
import dev.outpost.admin.cli.AdminConnection.Answer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.FilterWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code outpost admin audit}: check the audit log's hash chain and checkpoints, and export it as JSON lines. */
@Command(name = "audit", mixinStandardHelpOptions = true,
    description = {"The audit log: every entry carries the hash of the one before it, and the site signs the chain's",
        "head at intervals (audit.checkpoint-interval). 'verify' checks it; 'export' writes it as JSON lines for a",
        "SIEM. The nodes themselves deliver it as syslog over TLS to audit.syslog.collectors when that is set."},
    subcommands = {AuditCommands.Verify.class, AuditCommands.Export.class})
final class AuditCommands implements Runnable {

  /** How long a verification of a large log may take. */
  static final Duration VERIFY_TIMEOUT = Duration.ofMinutes(10);
  static final int EXPORT_PAGE = 5000;

  @ParentCommand
  AdminCommand parent;

  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  @Command(name = "verify", mixinStandardHelpOptions = true, description = {
      "Check the whole audit log against its hash chain and the site's signed checkpoints (GET audit/verify).",
      "Prints the report as JSON: each problem names its kind (edited, removed, reordered, unchained,",
      "checkpoint, signing-key), the entry's id and its position in the chain. Exits 0 when everything holds,",
      "1 when something does not."})
  static final class Verify implements Callable<Integer> {
    @ParentCommand
    AuditCommands audit;

    @Override
    public Integer call() {
      AdminCommand admin = audit.parent;
      return admin.guarded(() -> {
        Answer answer = admin.connection().send("GET", "audit/verify", null, VERIFY_TIMEOUT);
        admin.print(answer);
        JsonObject report = new JsonObject(answer.body());
        if (report.getBoolean("ok", false)) {
          return 0;
        }
        int problems = report.getJsonArray("problems").size() + report.getInteger("problemsNotListed", 0);
        throw new AdminCliException(AdminCommand.FAILED, "the audit log does not verify: " + problems + " problem"
            + (problems == 1 ? "" : "s") + " (listed above)");
      });
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true, description = {
      "Write the audit log as JSON lines, oldest first (GET audit/export, page after page).",
      "Each line is one entry with its position in the chain and the hashes that link it. A summary goes to",
      "stderr."})
  static final class Export implements Callable<Integer> {
    @ParentCommand
    AuditCommands audit;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
        description = "Write to this file (default: standard output); an existing file is replaced.")
    Path output;

    @Option(names = "--after", paramLabel = "POSITION", defaultValue = "0",
        description = "Only entries after this position in the chain, e.g. the last one an earlier export wrote "
            + "(default: ${DEFAULT-VALUE}, everything).")
    long after;

    @Override
    public Integer call() {
      AdminCommand admin = audit.parent;
      return admin.guarded(() -> {
        if (after < 0) {
          throw new AdminCliException(AdminCommand.USAGE, "--after must be 0 or a position");
        }
        AdminConnection connection = admin.connection();
        long written = 0;
        long last = after;
        PrintWriter stdout = audit.spec.commandLine().getOut();
        try (Writer out = output == null ? new NonClosing(stdout) : Files.newBufferedWriter(output,
            StandardCharsets.UTF_8)) {
          while (true) {
            Answer page = connection.send("GET", "audit/export?after=" + last + "&limit=" + EXPORT_PAGE, null);
            if (page.status() != 200) {
              admin.print(page);
            }
            List<String> lines = page.body().lines().filter(line -> !line.isBlank()).toList();
            for (String line : lines) {
              out.write(line);
              out.write('\n');
              last = position(line);
            }
            written += lines.size();
            if (lines.size() < EXPORT_PAGE) {
              break;
            }
          }
        }
        PrintWriter err = audit.spec.commandLine().getErr();
        err.println("outpost admin: exported " + written + " audit entr" + (written == 1 ? "y" : "ies")
            + (written == 0 ? "" : " up to position " + last) + (output == null ? "" : " to " + output));
        err.flush();
        return 0;
      });
    }

    private static long position(String line) {
      try {
        return new JsonObject(line).getLong("position");
      } catch (DecodeException | ClassCastException | NullPointerException e) {
        throw new AdminCliException(AdminCommand.FAILED, "the appliance sent a line that is no audit entry");
      }
    }
  }

  /** Standard output for the export, flushed but left open when the export ends. */
  private static final class NonClosing extends FilterWriter {
    NonClosing(Writer out) {
      super(out);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
