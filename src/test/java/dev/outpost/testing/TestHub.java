package dev.outpost.testing;

import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.hub.HubNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real hub ({@code outpost hub}) started in this JVM: embedded PostgreSQL, admin API, sign-in, HTTPS on a free
 * loopback port. The bootstrap admin's password is {@link #ADMIN_PASSWORD}.
 */
public final class TestHub implements AutoCloseable {

  public static final String ADMIN_PASSWORD = "test-hub-admin-password-0123";

  private final HubNode node;
  private final Path dataDir;
  private final SiteClient client;

  private TestHub(HubNode node, Path dataDir) {
    this.node = node;
    this.dataDir = dataDir;
    this.client = new SiteClient(dataDir.resolve("tls/ca.crt"), node.port());
  }

  /** Starts a hub in {@code dataDir}; {@code settings} are configuration keys overriding the test defaults. */
  public static TestHub start(Path dataDir, Map<String, String> settings) {
    try {
      Files.createDirectories(dataDir);
      Path passwordFile = dataDir.getParent().resolve(dataDir.getFileName() + "-admin-password");
      Files.writeString(passwordFile, ADMIN_PASSWORD);
      Map<String, String> flags = new HashMap<>(Map.of("data-dir", dataDir.toString(), "hub.host", "127.0.0.1",
          "hub.port", "0", "admin.password-file", passwordFile.toString()));
      flags.putAll(settings);
      OutpostConfig config = ConfigLoader.create(flags, Map.of(), null).load();
      SiteCertificates certificates = SiteCertificates.loadOrCreate(dataDir.resolve("tls"), "hub", List.of(),
          config.tls().nodeTerms());
      HubNode node = HubNode.start(config.hubSettings(), certificates, line -> { }).toCompletionStage()
          .toCompletableFuture().get(3, TimeUnit.MINUTES);
      return new TestHub(node, dataDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (Exception e) {
      throw new IllegalStateException("test hub did not start: " + e.getMessage(), e);
    }
  }

  public SiteClient client() {
    return client;
  }

  public int port() {
    return node.port();
  }

  public Path dataDir() {
    return dataDir;
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
      throw new IllegalStateException("test hub did not stop cleanly", e);
    }
  }
}
