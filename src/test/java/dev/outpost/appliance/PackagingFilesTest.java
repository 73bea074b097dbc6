package dev.outpost.appliance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.appliance.config.ConfigKey;
import dev.outpost.appliance.config.ConfigKeys;
import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.cluster.ClusterSecret;
import dev.outpost.testing.PackagingFiles;
import dev.outpost.testing.PackagingFiles.Stage;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The container image, the Compose files, the systemd unit and the VM installer, read as their tools read them
 * (there is no Docker engine or systemd here to run them): each must build and run what the jar accepts, on
 * the data volume, as a non-root user, with a health check on readiness, and they must all start a node with
 * the same command. {@code PackagedStartCommandIT} then runs those commands.
 */
class PackagingFilesTest {

  private static final String DATA = "/var/lib/outpost";
  private static final String JAR = "/opt/outpost/outpost.jar";

  @TempDir
  Path tmp;

  @Test
  void theImageIsBuiltByMavenAndRunsOnAJre17AsANonRootUserWithTheDataVolume() {
    // GIVEN the Dockerfile's stages
    List<Stage> stages = PackagingFiles.dockerfile(PackagingFiles.DOCKERFILE);

    // THEN a Maven stage with JDK 17 builds the jar, and the image is a JRE 17 that only copies the jar from it
    assertThat(stages).hasSizeGreaterThanOrEqualTo(2);
    Stage build = stages.get(0);
    Stage image = stages.get(stages.size() - 1);
    assertThat(build.image()).startsWith("maven:").contains("temurin-17");
    assertThat(build.all("RUN")).anySatisfy(run -> assertThat(run.arguments()).contains("mvn ").contains(" package"));
    assertThat(image.image()).matches("eclipse-temurin:17-jre(-.*)?");
    assertThat(image.all("COPY")).anySatisfy(copy -> assertThat(copy.arguments())
        .isEqualTo("--from=" + build.name() + " /src/target/outpost.jar " + JAR));

    // AND it runs as the unprivileged user it creates, never as root
    String user = image.one("USER").arguments();
    assertThat(user).doesNotStartWith("root").doesNotStartWith("0");
    assertThat(image.all("RUN")).anySatisfy(run -> assertThat(run.arguments())
        .contains("useradd --system --uid 10001 --gid outpost").contains("chown outpost:outpost " + DATA));
    assertThat(user).isEqualTo("outpost:outpost");

    // AND the node's state is the volume, and every port a node serves is declared
    assertThat(image.one("VOLUME").execForm()).containsExactly(DATA);
    assertThat(image.one("EXPOSE").arguments().split(" ")).contains("8443", "2598", "5701", "9443");
  }

  @Test
  void theHealthCheckAsksForReadinessTrustingOnlyTheSiteCa() {
    Stage image = last(PackagingFiles.dockerfile(PackagingFiles.DOCKERFILE));

    String options = image.one("HEALTHCHECK").arguments();
    String check = PackagingFiles.imageHealthCheck();

    assertThat(options).contains("--start-period=");
    assertThat(check).startsWith("curl -fsS --cacert " + DATA + "/tls/ca.crt ")
        .contains("https://localhost:${OUTPOST_HTTP_PORT:-8443}/health/ready").doesNotContain(" -k");
  }

  @Test
  void theStartCommandIsAnApplianceOnTheVolumeAndTheSystemdUnitRunsTheSameOne() {
    // GIVEN the image's ENTRYPOINT + CMD and the unit's ExecStart
    List<String> image = PackagingFiles.imageStartCommand();
    List<String> unit = PackagingFiles.execStart(PackagingFiles.SYSTEMD_UNIT);

    // THEN the image runs the jar's appliance command on its volume, which the jar's CLI accepts
    assertThat(image.get(0)).isEqualTo("java");
    assertThat(image).containsSubsequence("-jar", JAR, "appliance", "--data-dir", DATA);
    ParseResult parsed = parse(afterJar(image));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("appliance");

    // AND the unit runs the very same command line, with the JVM's full path
    assertThat(unit.get(0)).isEqualTo("/usr/bin/java");
    assertThat(unit.subList(1, unit.size())).isEqualTo(image.subList(1, image.size()));
  }

  @Test
  void theSystemdUnitIsHardenedAndRestartsOnFailure() throws Exception {
    Map<String, List<String>> service = PackagingFiles.systemdUnit(PackagingFiles.SYSTEMD_UNIT).get("Service");

    // a dedicated user, a read-only system with the data dir as the only writable path
    assertThat(one(service, "User")).isEqualTo("outpost");
    assertThat(one(service, "ProtectSystem")).isEqualTo("strict");
    assertThat(one(service, "ReadWritePaths")).isEqualTo(DATA);
    assertThat(one(service, "StateDirectory")).isEqualTo("outpost");
    assertThat(one(service, "NoNewPrivileges")).isEqualTo("yes");
    assertThat(one(service, "CapabilityBoundingSet")).isEmpty();
    assertThat(one(service, "PrivateTmp")).isEqualTo("yes");
    assertThat(one(service, "ProtectHome")).isEqualTo("yes");
    // restarted when it fails, but not for a configuration error, and stopped by signalling the JVM only
    assertThat(one(service, "Restart")).isEqualTo("on-failure");
    assertThat(one(service, "RestartPreventExitStatus")).isEqualTo(Integer.toString(ServerRunner.BAD_CONFIG));
    assertThat(one(service, "KillMode")).isEqualTo("mixed");

    // AND systemd itself finds nothing wrong with it (JVM path pointed at this test's JVM)
    String unit = Files.readString(PackagingFiles.SYSTEMD_UNIT, StandardCharsets.UTF_8)
        .replace("ExecStart=/usr/bin/java ",
            "ExecStart=" + Path.of(System.getProperty("java.home"), "bin", "java") + " ");
    Path copy = tmp.resolve("outpost.service");
    Files.writeString(copy, unit);
    Process verify = new ProcessBuilder("systemd-analyze", "verify", copy.toString()).redirectErrorStream(true).start();
    String output = new String(verify.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(verify.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(output).isEmpty();
    assertThat(verify.exitValue()).isZero();
  }

  @Test
  void theSiteComposeFileRunsTheImageAsAHubAndTwoNodesOnAnExternalPostgres() {
    // GIVEN the two-node site, with the variables an operator sets
    Map<String, Map<String, Object>> services = PackagingFiles.services(PackagingFiles.compose(
        PackagingFiles.COMPOSE_SITE, Map.of("OUTPOST_DB_PASSWORD", "pw", "OUTPOST_HUB_TOKEN", "OPC1.t",
        "OUTPOST_CLUSTER_SECRET", "s")));

    // THEN it has PostgreSQL, a hub and two appliance nodes
    assertThat(services).containsOnlyKeys("postgres", "hub", "node1", "node2");
    for (String name : List.of("hub", "node1", "node2")) {
      Map<String, Object> service = services.get(name);
      // each built from the Dockerfile, keeping the image's entrypoint, and on its own volume at the data dir
      assertThat(map(service.get("build"))).containsEntry("dockerfile", "docker/Dockerfile")
          .containsEntry("context", "..");
      assertThat(service).doesNotContainKey("entrypoint").doesNotContainKey("user");
      assertThat(strings(service.get("volumes"))).containsExactly(name + "-data:" + DATA);
      // and every setting is a known configuration key
      assertThat(environment(service).keySet()).allSatisfy(variable -> assertThat(knownVariables()).contains(variable));
      assertThat(environment(service).get("OUTPOST_DB_URL")).startsWith("postgresql://outpost:pw@postgres:5432/");
    }

    // AND the hub runs the hub role, with a certificate for the name the nodes use, and its own health check
    Map<String, Object> hub = services.get("hub");
    assertThat(parse(strings(hub.get("command"))).subcommand().commandSpec().name()).isEqualTo("hub");
    assertThat(environment(hub)).containsEntry("OUTPOST_HTTP_PUBLIC_NAMES", "hub")
        .containsEntry("OUTPOST_DB_URL", "postgresql://outpost:pw@postgres:5432/outpost_hub");
    assertThat(String.join(" ", strings(map(hub.get("healthcheck")).get("test")))).contains("https://localhost:9443/health/ready");

    // AND node1 runs the image's command, node2 joins node1's cluster address, both enrolled with the hub
    Map<String, Object> node1 = services.get("node1");
    Map<String, Object> node2 = services.get("node2");
    assertThat(node1).doesNotContainKey("command");
    String node1Address = environment(node1).get("OUTPOST_CLUSTER_HOST");
    assertThat(ipv4(node1)).isEqualTo(node1Address);
    assertThat(ipv4(node2)).isEqualTo(environment(node2).get("OUTPOST_CLUSTER_HOST")).isNotEqualTo(node1Address);
    ParseResult joining = parse(strings(node2.get("command")));
    assertThat(joining.subcommand().commandSpec().name()).isEqualTo("appliance");
    assertThat(joining.subcommand().matchedOptionValue("--join", "")).isEqualTo(node1Address + ":5701");
    assertThat(joining.subcommand().matchedOptionValue("--data-dir", "")).isEqualTo(DATA);
    for (Map<String, Object> node : List.of(node1, node2)) {
      assertThat(environment(node)).containsEntry("OUTPOST_HUB_URL", "https://hub:9443")
          .containsEntry("OUTPOST_HUB_TOKEN", "OPC1.t")
          .containsEntry("OUTPOST_DB_URL", "postgresql://outpost:pw@postgres:5432/outpost_site");
    }
    assertThat(strings(node1.get("ports"))).contains("8443:8443", "2598:2598");
    assertThat(strings(node2.get("ports"))).contains("8444:8443", "2599:2598");

    // AND PostgreSQL creates the site's database and, from the init script, the hub's
    Map<String, String> postgres = environment(services.get("postgres"));
    assertThat(postgres).containsEntry("POSTGRES_USER", "outpost").containsEntry("POSTGRES_DB", "outpost_site");
    assertThat(strings(services.get("postgres").get("volumes")))
        .contains("./postgres-init:/docker-entrypoint-initdb.d:ro");
  }

  @Test
  void theAllInOneComposeFileRunsTheImageAsItIs() {
    Map<String, Map<String, Object>> services = PackagingFiles.services(PackagingFiles.compose(
        PackagingFiles.COMPOSE_ALL_IN_ONE, Map.of()));

    Map<String, Object> appliance = services.get("appliance");
    assertThat(appliance).doesNotContainKey("command").doesNotContainKey("entrypoint");
    assertThat(map(appliance.get("build"))).containsEntry("dockerfile", "docker/Dockerfile");
    assertThat(strings(appliance.get("volumes"))).containsExactly("outpost-data:" + DATA);
    assertThat(environment(appliance).keySet()).allSatisfy(variable -> assertThat(knownVariables()).contains(variable));
  }

  @Test
  void theVmInstallerStagesTheJarTheUnitAndThePrivateSettings() throws Exception {
    // GIVEN a release directory with the jar and the unit
    Path release = Files.createDirectories(tmp.resolve("release"));
    Files.writeString(release.resolve("outpost.jar"), "not really a jar");
    Files.copy(PackagingFiles.SYSTEMD_UNIT, release.resolve("outpost.service"));
    Path root = tmp.resolve("root");

    // WHEN the installer is asked for a node that joins another without the site's cluster secret, THEN it refuses,
    // naming the option
    Run withoutSecret = install(root, "--from", release.toString(), "--join", "10.0.0.11:5701");
    assertThat(withoutSecret.exit()).isEqualTo(2);
    assertThat(withoutSecret.output()).isEqualTo("install.sh: --join needs --cluster-secret: the same secret on every "
        + "node of the site ('outpost appliance join-command' on a running node prints it)\n");
    assertThat(install(root, "--from", release.toString(), "--join", "10.0.0.11:5701", "--cluster-secret", "short")
        .exit()).isEqualTo(2);
    assertThat(root.resolve("etc/outpost/outpost.env")).doesNotExist();
    // WHEN the installer stages a node that enrolls with a hub and joins another node
    assertThat(install(root, "--from", release.toString(), "--hub", "https://hub.example.com:9443", "--hub-token",
        "OPC1.secret", "--join", "10.0.0.11:5701", "--cluster-secret", "install-test-secret-0123456789").exit())
        .isZero();
    // and runs again with another join address (an upgrade or a change)
    assertThat(install(root, "--from", release.toString(), "--join", "10.0.0.12:5701").exit()).isZero();

    // THEN the jar and the unit are where the unit expects them, and the settings are readable by no one else
    assertThat(root.resolve("opt/outpost/outpost.jar")).hasSameTextualContentAs(release.resolve("outpost.jar"));
    assertThat(root.resolve("etc/systemd/system/outpost.service")).hasSameTextualContentAs(PackagingFiles.SYSTEMD_UNIT);
    Path env = root.resolve("etc/outpost/outpost.env");
    assertThat(Files.getPosixFilePermissions(env)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.readAllLines(env)).containsExactlyInAnyOrder("OUTPOST_HUB_URL=https://hub.example.com:9443",
        "OUTPOST_HUB_TOKEN=OPC1.secret", "OUTPOST_CLUSTER_JOIN=10.0.0.12:5701",
        "OUTPOST_CLUSTER_SECRET=install-test-secret-0123456789");
    assertThat(Files.readString(root.resolve("usr/local/bin/outpost"))).contains("java -jar " + JAR);
    assertThat(PackagingFiles.systemdUnit(PackagingFiles.SYSTEMD_UNIT).get("Service").get("EnvironmentFile"))
        .containsExactly("-/etc/outpost/outpost.env");
  }

  @Test
  void theFirstNodeOfASiteMakesTheClusterSecretKeepsItAndTellsHowToAddTheNextNode() throws Exception {
    // GIVEN a release, and a VM staged with neither --join nor a secret: the first node of a site
    Path release = release();
    Path root = tmp.resolve("root");
    Run first = install(root, "--from", release.toString(), "--cluster-host", "10.0.1.11");

    // THEN it made a secret from /dev/urandom, in a file only its owner reads, and showed it to no log
    assertThat(first.exit()).isZero();
    Path env = root.resolve("etc/outpost/outpost.env");
    String secret = settings(env).get("OUTPOST_CLUSTER_SECRET");
    assertThat(secret).matches("[0-9a-f]{64}");
    assertThat(Files.getPosixFilePermissions(env)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(first.output()).doesNotContain(secret)
        .contains("bash install.sh --from " + release + " --join 10.0.1.11:5701 --cluster-host NEW_NODE_ADDRESS "
            + "--cluster-secret 'SITE_SECRET'")
        .contains("'sudo -u outpost outpost appliance join-command --data-dir /var/lib/outpost' on this node prints it")
        .contains("open TCP 5701 (cluster) and 5702 (event bus)").contains("8443 (and 2598 for the raw gateway)");
    // AND another VM makes another one
    assertThat(install(tmp.resolve("other"), "--from", release.toString()).exit()).isZero();
    assertThat(settings(tmp.resolve("other/etc/outpost/outpost.env")).get("OUTPOST_CLUSTER_SECRET"))
        .matches("[0-9a-f]{64}").isNotEqualTo(secret);

    // WHEN it runs again, as an upgrade and then to list the nodes that joined it
    assertThat(install(root, "--from", release.toString()).exit()).isZero();
    assertThat(install(root, "--from", release.toString(), "--join", "10.0.1.12:5701,10.0.1.13:5701").exit())
        .isZero();
    // AND someone gives it another site's secret
    Run other = install(root, "--from", release.toString(), "--cluster-secret", "another-site-secret-0123456789");

    // THEN that is refused, and the node keeps its secret through all of it
    assertThat(other.exit()).isEqualTo(2);
    assertThat(other.output()).startsWith("install.sh: --cluster-secret differs from the secret this node already "
        + "has").doesNotContain("another-site-secret");
    assertThat(settings(env)).containsEntry("OUTPOST_CLUSTER_SECRET", secret)
        .containsEntry("OUTPOST_CLUSTER_HOST", "10.0.1.11")
        .containsEntry("OUTPOST_CLUSTER_JOIN", "10.0.1.12:5701,10.0.1.13:5701");
    assertThat(Files.getPosixFilePermissions(env)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

    // AND the node reads what was written, as the service gets it from systemd, and join-command shows the secret
    OutpostConfig node = ConfigLoader.create(Map.of(), settings(env), null).load();
    assertThat(node.cluster().secret()).isEqualTo(secret);
    assertThat(node.cluster().host()).isEqualTo("10.0.1.11");
    assertThat(node.cluster().join()).containsExactly("10.0.1.12:5701", "10.0.1.13:5701");
    assertThat(JoinCommand.text(node, node.cluster().secret()))
        .contains("OUTPOST_CLUSTER_SECRET='" + secret + "' outpost appliance --join 10.0.1.11:5701 ");
  }

  @Test
  void aNodeThatMadeItsOwnSecretKeepsIt() throws Exception {
    // GIVEN a node that ran without a configured secret and made one in its data dir
    Path root = tmp.resolve("root");
    String made = ClusterSecret.loadOrCreate(root.resolve("var/lib/outpost"));

    // WHEN the installer runs on it (an upgrade)
    assertThat(install(root, "--from", release().toString()).exit()).isZero();

    // THEN outpost.env holds that secret, so that the node does not change its site's secret
    assertThat(settings(root.resolve("etc/outpost/outpost.env"))).containsEntry("OUTPOST_CLUSTER_SECRET", made);
  }

  @Test
  void onATerminalTheInstallerPrintsTheLineThatAddsTheNextNode() throws Exception {
    // GIVEN the first node of a site installed from a terminal, with a hub
    Path release = release();
    Run first = onTerminal("bash packaging/install.sh --root " + tmp.resolve("vm1") + " --from " + release
        + " --cluster-host 10.0.1.11 --hub https://hub.example.com:9443 --hub-token OPC1.secret");
    assertThat(first.exit()).isZero();
    String secret = settings(tmp.resolve("vm1/etc/outpost/outpost.env")).get("OUTPOST_CLUSTER_SECRET");

    // THEN it shows the whole command for the next node, secret included
    String line = first.output().lines().map(String::strip).filter(l -> l.startsWith("bash install.sh ")).findFirst()
        .orElseThrow(() -> new AssertionError("no install.sh line in:\n" + first.output()));
    assertThat(line).isEqualTo("bash install.sh --from " + release + " --join 10.0.1.11:5701 --cluster-host "
        + "NEW_NODE_ADDRESS --cluster-secret '" + secret + "' --hub https://hub.example.com:9443 --hub-token "
        + "CONNECTOR_TOKEN");
    assertThat(first.output()).contains("CONNECTOR_TOKEN: a connector token of this location from the hub");

    // WHEN that line is run on the next VM, with its address and token filled in
    Run second = run("bash", "-c", line.replace("bash install.sh", "bash packaging/install.sh")
        .replace("NEW_NODE_ADDRESS", "10.0.1.12").replace("CONNECTOR_TOKEN", "OPC1.secret2")
        + " --root " + tmp.resolve("vm2"));

    // THEN that node is of the same site and joins the first
    assertThat(second.exit()).isZero();
    OutpostConfig node = ConfigLoader.create(Map.of(), settings(tmp.resolve("vm2/etc/outpost/outpost.env")), null)
        .load();
    assertThat(node.cluster().secret()).isEqualTo(secret);
    assertThat(node.cluster().join()).containsExactly("10.0.1.11:5701");
    assertThat(node.cluster().host()).isEqualTo("10.0.1.12");
    assertThat(node.hub().url()).hasToString("https://hub.example.com:9443");
  }

  @Test
  void theThreeVmCloudInitExampleMakesOneSite() throws Exception {
    Path release = release();
    // GIVEN the first VM's user data: it makes the secret
    Run vm1 = cloudInit("site-vm1.yaml", release, tmp.resolve("vm1"), null);
    assertThat(vm1.exit()).isZero();
    Map<String, String> first = settings(tmp.resolve("vm1/etc/outpost/outpost.env"));
    String secret = first.get("OUTPOST_CLUSTER_SECRET");
    assertThat(secret).matches("[0-9a-f]{64}");
    assertThat(first).containsEntry("OUTPOST_CLUSTER_HOST", "10.0.1.11").doesNotContainKey("OUTPOST_CLUSTER_JOIN");

    // WHEN the second VM's user data is used with its placeholder left in, THEN that VM is not installed
    Run unfilled = cloudInit("site-vm2.yaml", release, tmp.resolve("unfilled"), null);
    assertThat(unfilled.exit()).isEqualTo(2);
    assertThat(unfilled.output()).contains("--cluster-secret must have at least 16 characters");

    // WHEN the other two are used with the first one's secret
    assertThat(cloudInit("site-vm2.yaml", release, tmp.resolve("vm2"), secret).exit()).isZero();
    assertThat(cloudInit("site-vm3.yaml", release, tmp.resolve("vm3"), secret).exit()).isZero();

    // THEN the three are one site: the same secret and hub, each on its own address, joining the ones before it
    List<OutpostConfig> nodes = new ArrayList<>();
    for (String vm : List.of("vm1", "vm2", "vm3")) {
      Map<String, String> env = settings(tmp.resolve(vm).resolve("etc/outpost/outpost.env"));
      nodes.add(ConfigLoader.create(Map.of(), env, null).load());
    }
    assertThat(nodes).allSatisfy(node -> {
      assertThat(node.cluster().secret()).isEqualTo(secret);
      assertThat(node.hub().url()).hasToString("https://hub.example.com:9443");
      assertThat(node.cluster().port()).isEqualTo(5701);
      assertThat(node.cluster().busPort()).isEqualTo(5702);
    });
    assertThat(nodes).extracting(node -> node.cluster().host()).containsExactly("10.0.1.11", "10.0.1.12", "10.0.1.13");
    assertThat(nodes.get(1).cluster().join()).containsExactly("10.0.1.11:5701");
    assertThat(nodes.get(2).cluster().join()).containsExactly("10.0.1.11:5701", "10.0.1.12:5701");
  }

  @Test
  void theOutpostCommandOnTheVmRunsWithTheNodesSettings() throws Exception {
    // GIVEN a staged node, and its 'outpost' command pointed at the staged settings and at printenv instead of java
    Path root = tmp.resolve("root");
    assertThat(install(root, "--from", release().toString(), "--cluster-host", "10.0.1.11").exit()).isZero();
    Path env = root.resolve("etc/outpost/outpost.env");
    Files.writeString(env, "# a comment\nNOT_OURS=x\nOUTPOST_HTTP_PUBLIC_NAMES=a b $(touch " + tmp.resolve("ran")
        + ")\n", StandardOpenOption.APPEND);
    String wrapper = Files.readString(root.resolve("usr/local/bin/outpost"), StandardCharsets.UTF_8)
        .replace("/etc/outpost/outpost.env", env.toString()).replace("exec java -jar " + JAR, "exec printenv");
    Path copy = Files.writeString(tmp.resolve("outpost"), wrapper);

    // WHEN an admin runs it with one setting of their own
    ProcessBuilder builder = new ProcessBuilder("sh", copy.toString()).redirectErrorStream(true);
    builder.environment().put("OUTPOST_CLUSTER_HOST", "10.9.9.9");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    // THEN the command sees the node's settings, verbatim, but the admin's own value wins and nothing else is read
    assertThat(process.exitValue()).isZero();
    assertThat(output.lines()).contains("OUTPOST_CLUSTER_SECRET=" + settings(env).get("OUTPOST_CLUSTER_SECRET"),
        "OUTPOST_CLUSTER_HOST=10.9.9.9", "OUTPOST_HTTP_PUBLIC_NAMES=a b $(touch " + tmp.resolve("ran") + ")")
        .noneMatch(line -> line.startsWith("NOT_OURS="));
    assertThat(tmp.resolve("ran")).doesNotExist();
  }

  /** How a command ended: its exit status and what it printed (stdout and stderr). */
  private record Run(int exit, String output) {
  }

  private Path release() throws IOException {
    Path release = Files.createDirectories(tmp.resolve("release"));
    Files.writeString(release.resolve("outpost.jar"), "not really a jar");
    Files.copy(PackagingFiles.SYSTEMD_UNIT, release.resolve("outpost.service"), StandardCopyOption.REPLACE_EXISTING);
    return release;
  }

  /**
   * Runs the install.sh command of a cloud-init example as cloud-init would, staged under {@code root}, from
   * {@code release} instead of the example's URL, and with {@code secret} for the example's placeholder if given.
   */
  private Run cloudInit(String example, Path release, Path root, String secret) throws Exception {
    Map<String, Object> userData = PackagingFiles.cloudConfig(PackagingFiles.CLOUD_INIT.resolve(example));
    String command = strings(userData.get("runcmd")).get(0);
    String[] steps = command.split(" && ");
    assertThat(steps).hasSize(2);
    assertThat(steps[0]).isEqualTo("curl -fsSL --retry 5 -o /root/install-outpost.sh "
        + "https://artifacts.example.com/outpost/0.1.0/install.sh");
    String install = steps[1].replace("bash /root/install-outpost.sh ", "bash packaging/install.sh ")
        .replace("--from https://artifacts.example.com/outpost/0.1.0 ", "--from " + release + " ");
    assertThat(install).startsWith("bash packaging/install.sh --from " + release + " ");
    if (secret != null) {
      install = install.replace("'SITE_SECRET'", "'" + secret + "'");
    }
    return run("bash", "-c", install + " --root " + root);
  }

  private Run install(Path root, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("bash", "packaging/install.sh", "--root", root.toString()));
    command.addAll(List.of(args));
    Run run = run(command.toArray(String[]::new));
    assertThat(run.output()).doesNotContain("OPC1.secret").doesNotContain("install-test-secret");
    return run;
  }

  /** Runs {@code command} with a terminal as its stdin, stdout and stderr (util-linux's script). */
  private static Run onTerminal(String command) throws IOException, InterruptedException {
    Run run = run("script", "-qec", command, "/dev/null");
    return new Run(run.exit(), run.output().replace("\r", ""));
  }

  private static Run run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(Redirect.from(new File(
        "/dev/null"))).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output);
  }

  /** An outpost.env as systemd reads it for the service: one NAME=value a line, the value verbatim. */
  private static Map<String, String> settings(Path envFile) throws IOException {
    Map<String, String> settings = new java.util.LinkedHashMap<>();
    for (String line : Files.readAllLines(envFile, StandardCharsets.UTF_8)) {
      int equals = line.indexOf('=');
      if (equals > 0 && !line.startsWith("#")) {
        settings.put(line.substring(0, equals), line.substring(equals + 1));
      }
    }
    return settings;
  }

  private static List<String> afterJar(List<String> command) {
    return command.subList(command.indexOf(JAR) + 1, command.size());
  }

  private static ParseResult parse(List<String> args) {
    return new CommandLine(new Outpost()).parseArgs(args.toArray(String[]::new));
  }

  private static Set<String> knownVariables() {
    return ConfigKeys.all().stream().map(ConfigKey::envVar).collect(Collectors.toSet());
  }

  private static Stage last(List<Stage> stages) {
    return stages.get(stages.size() - 1);
  }

  private static String one(Map<String, List<String>> section, String key) {
    assertThat(section.get(key)).as(key).hasSize(1);
    return section.get(key).get(0);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return (Map<String, Object>) value;
  }

  private static List<String> strings(Object value) {
    return ((List<?>) value).stream().map(String::valueOf).toList();
  }

  private static Map<String, String> environment(Map<String, Object> service) {
    Map<String, String> env = new java.util.TreeMap<>();
    map(service.getOrDefault("environment", Map.of())).forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  @SuppressWarnings("unchecked")
  private static String ipv4(Map<String, Object> service) {
    Map<String, Object> networks = map(service.get("networks"));
    return String.valueOf(((Map<String, Object>) networks.values().iterator().next()).get("ipv4_address"));
  }
}
