package dev.outpost.appliance;

import dev.outpost.appliance.config.ConfigKeys;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.hub.HubNode;
import io.vertx.core.Future;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code outpost hub}: the upstream control plane that appliances dial out to. */
@Command(name = "hub", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Run the hub: the upstream control plane for many resource locations. Appliances only ever dial out",
        "to it. An appliance started without --hub runs this role in-process instead.", ""},
    footer = {"", "Every option can also be set as OUTPOST_<KEY> in the environment or in the --config file;",
        "see conf/outpost.yaml for all keys."})
final class HubCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Mixin
  CommonOptions common;

  @Option(names = "--hub-port", paramLabel = "PORT", description = "HTTPS port of the hub (default: 9443).")
  String hubPort;

  @Override
  public Integer call() {
    Map<String, String> flags = common.flags();
    CommonOptions.put(flags, ConfigKeys.HUB_PORT.name(), hubPort);
    Console console = Console.stdout();
    return ServerRunner.run("hub", flags, common.config, spec.commandLine().getErr(), config -> {
      DataDirLock lock;
      SiteCertificates certs;
      try {
        lock = DataDirLock.acquire(config.dataDir());
      } catch (StartupException e) {
        return Future.failedFuture(e);
      }
      try {
        certs = SiteCertificates.loadOrCreate(config.dataDir().resolve("tls"), "hub", config.http().publicNames(),
            config.tls().nodeTerms());
      } catch (java.io.IOException | RuntimeException e) {
        lock.close();
        return Future.failedFuture(new StartupException("cannot prepare TLS certificates: " + e.getMessage(), e));
      }
      return HubNode.start(config.hubSettings(), certs, console::line)
          .onFailure(e -> lock.close())
          .map(hub -> {
            console.line("Outpost hub " + Version.current() + " ready: https://localhost:" + hub.port() + "/");
            console.line("CA sha256: " + hub.caFingerprintDisplay());
            return () -> hub.stop().onComplete(ar -> lock.close());
          });
    });
  }
}
