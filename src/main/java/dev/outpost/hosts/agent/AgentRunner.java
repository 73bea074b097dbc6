package dev.outpost.hosts.agent;

import dev.outpost.crypto.EnrollmentToken;
import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.http.OutboundProxy;
import dev.outpost.http.PinnedJsonPost;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * {@code outpost agent} apart from its command line: enroll (first run) or load the stored identity, then keep
 * the link. With {@code simulate > 0} it does the same for that many made-up hosts, each under
 * {@code <data-dir>/sim-<i>/}, for load tests of the appliance.
 */
public final class AgentRunner {

  /**
   * @param token null on later runs
   * @param address null on later runs (the stored one is used)
   * @param name null for this machine's host name
   * @param heartbeat null to report as often as the appliance asks
   * @param simulate 0 for a real agent
   * @param proxy how enrollment and the link reach the appliances
   */
  public record Options(List<URI> appliances, String token, String address, Path dataDir, String name,
      Duration heartbeat, int simulate, String version, OutboundProxy proxy) {

    public Options {
      appliances = List.copyOf(appliances);
      Objects.requireNonNull(dataDir);
      Objects.requireNonNull(version);
      Objects.requireNonNull(proxy);
    }
  }

  private static final int PARALLEL_ENROLLMENTS = 8;

  private final Options options;
  private final Consumer<String> console;
  /** Where each prepared identity is stored, by host id: the list of appliances it learns is saved there. */
  private final Map<String, Path> stored = new ConcurrentHashMap<>();
  private PinnedJsonPost enrollments;

  public AgentRunner(Options options, Consumer<String> console) {
    this.options = Objects.requireNonNull(options);
    this.console = Objects.requireNonNull(console);
  }

  /**
   * Loads or enrolls the identities to link with (blocking; network on first run, with clients of
   * {@code vertx}). Never call it on an event loop.
   */
  public List<AgentIdentity> prepare(Vertx vertx) {
    enrollments = new PinnedJsonPost(vertx, options.proxy(), Enroller.TIMEOUT);
    if (options.address() != null && !AgentLinkProtocol.HOST_ADDRESS.matcher(options.address()).matches()) {
      throw AgentException.usage("--address must be an IP address or DNS name the gateway can reach this host on");
    }
    if (options.simulate() > 0) {
      return simulated();
    }
    return List.of(prepare(options.dataDir(), options.name() != null ? options.name() : localName()));
  }

  private AgentIdentity prepare(Path dir, String name) {
    AgentIdentity identity = loadOrEnroll(dir, name);
    stored.put(identity.hostId(), dir);
    return identity;
  }

  private AgentIdentity loadOrEnroll(Path dir, String name) {
    Optional<AgentIdentity> stored = AgentIdentity.load(dir);
    if (stored.isPresent()) {
      AgentIdentity identity = stored.get();
      if (options.token() != null && options.simulate() == 0) {
        console.accept("Already enrolled as host " + identity.hostId() + " (" + identity.name() + "); --token "
            + "ignored (remove " + dir + " to enroll again)");
      }
      AgentIdentity current = identity.with(options.address() != null ? options.address() : identity.address(),
          options.appliances().isEmpty() ? identity.appliances()
              : options.appliances().stream().map(URI::toString).toList());
      if (!current.equals(identity)) {
        save(current, dir);
      }
      if (current.appliances().isEmpty()) {
        throw AgentException.usage("no appliance known: pass --appliance URL");
      }
      return current;
    }
    if (options.token() == null) {
      throw AgentException.usage("not enrolled yet (nothing in " + dir + "): pass --token; an admin creates one "
          + "with 'outpost admin enroll-token create --pool POOL'");
    }
    EnrollmentToken token = EnrollmentToken.parse(options.token(), EnrollmentToken.AGENT)
        .orElseThrow(() -> AgentException.usage("the token is not an Outpost enrollment token (expected "
            + EnrollmentToken.AGENT + ".<ca-sha256>.<secret>)"));
    if (options.appliances().isEmpty()) {
      throw AgentException.usage("--appliance is required to enroll");
    }
    if (options.address() == null) {
      throw AgentException.usage("--address is required to enroll: the IP address or name the gateway reaches "
          + "this host on");
    }
    if (!AgentLinkProtocol.HOST_NAME.matcher(name).matches()) {
      throw AgentException.usage("--name must match " + AgentLinkProtocol.HOST_NAME.pattern());
    }
    AgentIdentity identity = new Enroller(token, enrollments).enroll(options.appliances(), name, options.address());
    save(identity, dir);
    console.accept("Enrolled as host " + identity.hostId() + " (" + identity.name() + ") in pool "
        + identity.pool() + "; key and certificates in " + dir);
    return identity;
  }

  private List<AgentIdentity> simulated() {
    String base = options.name() != null ? options.name() : localName();
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL_ENROLLMENTS, options.simulate()));
    try {
      List<java.util.concurrent.Future<AgentIdentity>> pending = new ArrayList<>();
      for (int i = 0; i < options.simulate(); i++) {
        int n = i;
        pending.add(pool.submit(() -> prepare(options.dataDir().resolve("sim-" + n), cut(base + "-sim-" + n))));
      }
      List<AgentIdentity> identities = new ArrayList<>();
      for (var identity : pending) {
        identities.add(identity.get());
      }
      return identities;
    } catch (ExecutionException e) {
      throw e.getCause() instanceof AgentException agent ? agent
          : AgentException.failed("cannot prepare the simulated hosts: " + Enroller.rootMessage(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw AgentException.failed("interrupted");
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Links every identity; the future completes with a reason when an appliance refuses one of them for good.
   */
  public Future<String> link(Vertx vertx, List<AgentIdentity> identities) {
    Promise<String> refused = Promise.promise();
    AgentLink.Settings settings = new AgentLink.Settings(options.heartbeat(), options.simulate() > 0,
        options.version(), options.proxy());
    List<Future<String>> deployed = new ArrayList<>();
    for (AgentIdentity identity : identities) {
      List<URI> appliances = identity.appliances().stream().map(URI::create).toList();
      deployed.add(vertx.deployVerticle(new AgentLink(identity, appliances, settings,
          options.simulate() > 0 ? line -> { } : console, refused, learned -> keep(vertx, identity, learned),
          storage(vertx, stored.get(identity.hostId())))));
    }
    Future.all(deployed).onSuccess(v -> {
      if (options.simulate() > 0) {
        console.accept("Simulating " + identities.size() + " hosts");
      }
    });
    return refused.future();
  }

  /** Stores the appliances an identity learned, so that a restarted agent can reach any of them. */
  private void keep(Vertx vertx, AgentIdentity identity, List<String> appliances) {
    Path dir = stored.get(identity.hostId());
    vertx.executeBlocking(() -> {
      // the metadata only: the key and certificate may have been renewed since this identity was loaded
      identity.with(identity.address(), appliances).saveMeta(dir);
      return null;
    }, true).onFailure(e -> console.accept("Cannot store the appliances of the site in " + dir + ": "
        + e.getMessage()));
  }

  /**
   * Keeps renewed credentials and the site's CAs in {@code dir}, off the event loop and in the order asked (the
   * calls come from one link's context).
   */
  private static CertificateRenewal.Storage storage(Vertx vertx, Path dir) {
    return new CertificateRenewal.Storage() {
      @Override
      public Future<Void> credentials(AgentIdentity renewed) {
        return vertx.executeBlocking(() -> {
          renewed.saveCredentials(dir);
          return null;
        }, true);
      }

      @Override
      public Future<Void> trust(AgentIdentity trusting) {
        return vertx.executeBlocking(() -> {
          trusting.saveTrust(dir);
          return null;
        }, true);
      }
    };
  }

  private static void save(AgentIdentity identity, Path dir) {
    try {
      identity.save(dir);
    } catch (IOException e) {
      throw AgentException.failed("cannot store the enrollment in " + dir + ": " + e.getMessage());
    }
  }

  private static String localName() {
    String name;
    try {
      name = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      name = "host";
    }
    return cut(name.toLowerCase(Locale.ROOT).replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("^[^A-Za-z0-9]+", ""));
  }

  private static String cut(String name) {
    String safe = name.isEmpty() ? "host" : name;
    return safe.length() > 64 ? safe.substring(0, 64) : safe;
  }
}
