package dev.outpost.appliance;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code outpost} command line: one jar, one command per role. */
@Command(name = "outpost",
    mixinStandardHelpOptions = true,
    versionProvider = Outpost.VersionProvider.class,
    description = {
        "Outpost: an on-premises connector appliance that publishes apps and desktops from your own session hosts",
        "and keeps users working when the cloud, the database or the internet is gone.", ""},
    subcommands = {
        ApplianceCommand.class,
        HubCommand.class,
        AgentCommand.class,
        dev.outpost.client.ClientCommands.class,
        AdminCommand.class,
        CommandLine.HelpCommand.class
    },
    footer = {"", "Run 'outpost <command> --help' for the options of a command."})
public final class Outpost implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code (0 ok, 1 failure, 2 bad usage or configuration). */
  public static int run(String... args) {
    System.setProperty("hazelcast.logging.type", "slf4j");
    return new CommandLine(new Outpost())
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setUsageHelpWidth(120)
        .execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Reads the version from the jar manifest. */
  public static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"outpost " + Version.current(), "Java " + Runtime.version()};
    }
  }
}
