package dev.outpost.testing;

import dev.outpost.appliance.ApplianceNode;
import dev.outpost.appliance.Console;
import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A real single-node site started in this JVM exactly as {@code outpost appliance} starts one: embedded
 * PostgreSQL, Hazelcast member, in-process hub, HTTPS on a free port. Flags use the same key names as
 * {@code conf/outpost.yaml}.
 */
public final class TestSite implements AutoCloseable {

  public static final String ADMIN_PASSWORD = "test-admin-password-0123";

  private final ApplianceNode node;
  private final Path dataDir;
  private final SiteClient client;
  private final ByteArrayOutputStream consoleOut;

  private TestSite(ApplianceNode node, Path dataDir, ByteArrayOutputStream consoleOut) {
    this.node = node;
    this.dataDir = dataDir;
    this.consoleOut = consoleOut;
    this.client = new SiteClient(dataDir.resolve("tls/ca.crt"), node.httpsPort());
  }

  /** Starts a site in {@code dataDir} with the bootstrap admin password {@link #ADMIN_PASSWORD}. */
  public static TestSite start(Path dataDir) {
    return start(dataDir, Map.of());
  }

  /** Starts a site; {@code settings} are configuration keys (e.g. {@code db.url}) overriding the test defaults. */
  /**
   * Settings of a clustered node on 127.0.0.1: cluster {@code name} and {@code secret}, its member port, and the
   * port of a node to join ({@code null} for the first node).
   */
  public static Map<String, String> clusterSettings(String name, String secret, int port, Integer join) {
    Map<String, String> settings = new java.util.HashMap<>(Map.of("cluster.name", name, "cluster.secret", secret,
        "cluster.port", Integer.toString(port), "cluster.bus-port", Integer.toString(FreePorts.next()),
        "cluster.host", "127.0.0.1"));
    if (join != null) {
      settings.put("cluster.join", "127.0.0.1:" + join);
    }
    return Map.copyOf(settings);
  }

  public static TestSite start(Path dataDir, Map<String, String> settings) {
    try {
      return launch(dataDir, settings, 0).site().get(3, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("test site did not start: " + e.getMessage(), e);
    }
  }

  /**
   * A site that is starting in the background, for tests that watch it come up: its HTTPS port is known before it
   * listens, and what it prints shows as it prints it.
   */
  public record Starting(CompletableFuture<TestSite> site, int httpsPort, Supplier<String> console) {
  }

  /** Starts a site like {@link #start(Path, Map)} without waiting for it, on a free HTTPS port chosen here. */
  public static Starting startInBackground(Path dataDir, Map<String, String> settings) {
    return launch(dataDir, settings, FreePorts.next());
  }

  private static Starting launch(Path dataDir, Map<String, String> settings, int httpsPort) {
    try {
      Files.createDirectories(dataDir);
      Path passwordFile = dataDir.getParent().resolve(dataDir.getFileName() + "-admin-password");
      Files.writeString(passwordFile, ADMIN_PASSWORD);
      Map<String, String> flags = new HashMap<>();
      flags.put("data-dir", dataDir.toString());
      flags.put("http.port", Integer.toString(httpsPort));
      flags.put("gateway.port", "0");
      flags.put("cluster.port", Integer.toString(FreePorts.next()));
      // not cluster.port + 1: a free port from the ephemeral range may have an outgoing connection's port after it
      flags.put("cluster.bus-port", Integer.toString(FreePorts.next()));
      // likewise not cluster.port + 2 for the embedded database's peer port
      flags.put("db.peer-port", Integer.toString(FreePorts.next()));
      flags.put("cluster.name", "test-" + Long.toHexString(System.nanoTime()));
      flags.put("admin.password-file", passwordFile.toString());
      flags.putAll(settings);
      OutpostConfig config = ConfigLoader.create(flags, Map.of(), null).load();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      Console console = new Console(new PrintStream(out, true, StandardCharsets.UTF_8));
      // the client reads the CA file: made off the node's event loop
      CompletableFuture<TestSite> site = ApplianceNode.start(config, console).toCompletionStage()
          .thenApplyAsync(node -> new TestSite(node, dataDir, out)).toCompletableFuture();
      return new Starting(site, config.http().port(), () -> out.toString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public SiteClient client() {
    return client;
  }

  public int httpsPort() {
    return node.httpsPort();
  }

  public Path dataDir() {
    return dataDir;
  }

  public ApplianceNode node() {
    return node;
  }

  /** What the node printed for the person at the terminal. */
  public String console() {
    return consoleOut.toString(StandardCharsets.UTF_8);
  }

  /** Signs in as the bootstrap admin. */
  public String adminToken() {
    return client.login("admin", ADMIN_PASSWORD);
  }

  @Override
  public void close() {
    try {
      node.stop().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
    } catch (Exception e) {
      throw new IllegalStateException("test site did not stop cleanly", e);
    }
  }
}
