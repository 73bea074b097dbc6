package dev.outpost.appliance;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Roles that are designed but not shipped in this version; each says so plainly and exits with 3. */
final class PlannedCommands {

  static final int NOT_AVAILABLE = 3;

  private PlannedCommands() {
  }

  abstract static class Planned implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", hidden = true)
    List<String> ignored;

    @Override
    public Integer call() {
      spec.commandLine().getErr().println("outpost " + spec.name() + ": not available yet in Outpost "
          + Version.current() + ". " + spec.usageMessage().description()[0]);
      return NOT_AVAILABLE;
    }
  }

  @Command(name = "agent", mixinStandardHelpOptions = true,
      description = "Session host agent: enrolls with a token and keeps one outbound link to the appliances "
          + "(not available yet).")
  static final class Agent extends Planned {
  }

  @Command(name = "admin", mixinStandardHelpOptions = true,
      description = "Command-line admin over the admin REST API (not available yet; use the REST API at "
          + "/admin/api/v1/).")
  static final class Admin extends Planned {
  }
}
