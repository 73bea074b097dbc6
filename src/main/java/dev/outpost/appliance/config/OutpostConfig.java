package dev.outpost.appliance.config;

import dev.outpost.admin.AuditConfig;
import dev.outpost.http.OutboundProxy;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The validated configuration of one Outpost process. Built once at start-up by {@link ConfigLoader}; each
 * feature receives the part it needs.
 */
public record OutpostConfig(
    Path dataDir,
    String location,
    boolean demo,
    int demoSshPort,
    Path adminPasswordFile,
    LogConfig log,
    HttpConfig http,
    GatewayConfig gateway,
    ClusterConfig cluster,
    HubConfig hub,
    OutboundProxy proxy,
    BrokerConfig broker,
    DbConfig db,
    IdentityConfig identity,
    DirectoryConfig directory,
    LeaseConfig lease,
    MetricsConfig metrics,
    AuditConfig audit) {

  /** Logging: {@code log.*}. */
  public record LogConfig(String format, String level) {
    public boolean json() {
      return "json".equals(format);
    }
  }

  /** The HTTPS listener: {@code http.*}. */
  public record HttpConfig(String host, int port, List<String> publicNames, int maxBodyBytes,
      Duration headerTimeout) {
  }

  /**
   * The session gateway (raw TLS port and the WebSocket on the HTTPS port): {@code gateway.*}.
   *
   * @param maxHandshakesPerAddress how many of the {@code maxHandshakes} one client address may hold at once
   */
  public record GatewayConfig(int port, Duration idleTimeout, Duration handshakeTimeout, int maxHandshakes,
      int maxHandshakesPerAddress, Duration connectTimeout) {
  }

  /**
   * Cluster membership: {@code cluster.*}.
   *
   * @param busPort the event bus port ({@code cluster.bus-port}), never 0
   * @param secret {@code cluster.secret}, empty when not set; never shown by {@link #toString()}
   */
  public record ClusterConfig(String name, String host, int port, int busPort, List<String> join, int minMembers,
      String secret) {

    /** Whether the site's nodes share a secret, and with it the site CA. */
    public boolean hasSecret() {
      return !secret.isEmpty();
    }

    /**
     * The same settings with {@code secret} (e.g. the one a single node keeps in its data dir), and the cluster
     * name sealed with it as {@link OutpostConfig} seals a configured one.
     */
    public ClusterConfig withSecret(String secret) {
      if (!this.secret.isEmpty()) {
        throw new IllegalStateException("cluster.secret is set already");
      }
      return new ClusterConfig(sealedName(name, secret), host, port, busPort, join, minMembers, secret);
    }

    @Override
    public String toString() {
      return "ClusterConfig[name=" + name + ", host=" + host + ", port=" + port + ", busPort=" + busPort + ", join="
          + join + ", minMembers=" + minMembers + ", secret=" + (secret.isEmpty() ? "" : "(set)") + "]";
    }

    /**
     * The cluster name nodes compare when one joins: with a {@code cluster.secret}, the name carries an HMAC of it,
     * so that a node without the secret asks to join another cluster and is turned away.
     */
    static String sealedName(String name, String secret) {
      if (secret.isEmpty()) {
        return name;
      }
      try {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8),
            "HmacSHA256"));
        byte[] tag = mac.doFinal(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return name + "-" + java.util.HexFormat.of().formatHex(tag, 0, 12);
      } catch (java.security.GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is not available", e);
      }
    }
  }

  /** The hub link: {@code hub.*}. {@code url} is {@code null} when the hub runs in-process. */
  public record HubConfig(URI url, URI publicUrl, String token, String host, int port, Duration pingInterval,
      Duration outageThreshold, Duration syncInterval) {
    public boolean inProcess() {
      return url == null;
    }

    /** Where external clients reach the hub. */
    public URI clientUrl() {
      return publicUrl != null ? publicUrl : url;
    }
  }

  /** Brokering: {@code broker.*}. */
  public record BrokerConfig(Duration heartbeatInterval, Duration ticketTtl) {
  }

  /** The database: {@code db.*}. {@code url} is {@code null} for the embedded PostgreSQL. */
  public record DbConfig(String url, int poolSize) {
    public boolean embedded() {
      return url == null;
    }
  }

  /** Sign-in and sessions: {@code identity.*}. */
  public record IdentityConfig(Duration sessionTtl, int maxFailuresPerUser, int maxFailuresPerAddress,
      Duration loginWindow) {
  }

  /** Directory (LDAP/AD) sign-in on appliances: {@code directory.*}. */
  public record DirectoryConfig(Duration offlineWindow, Duration connectTimeout, Duration timeout,
      Duration groupCacheTtl, Duration settingsRefresh) {

    /** The defaults, for tools and tests that build a service by hand. */
    public static final DirectoryConfig DEFAULTS = new DirectoryConfig(Duration.ofDays(7), Duration.ofSeconds(3),
        Duration.ofSeconds(5), Duration.ofMinutes(5), Duration.ofSeconds(30));
  }

  /**
   * Connection leases: {@code lease.*}.
   *
   * @param issueRate most leases per second asked of the hub, cluster-wide
   * @param proofWindow how far a lease launch proof's time may be from the appliance's
   */
  public record LeaseConfig(int validityDays, int issueRate, Duration proofWindow) {
    public Duration validity() {
      return Duration.ofDays(validityDays);
    }
  }

  /**
   * {@code GET /metrics}: {@code metrics.*}.
   *
   * @param token the bearer token it requires; empty: it is open. Never shown by {@link #toString()}
   */
  public record MetricsConfig(String token) {
    public boolean restricted() {
      return !token.isEmpty();
    }

    @Override
    public String toString() {
      return "MetricsConfig[token=" + (token.isEmpty() ? "" : "(set)") + "]";
    }
  }

  /**
   * {@code proxy.*}, falling back to the standard {@code HTTPS_PROXY} and {@code NO_PROXY} variables when a
   * key is left empty.
   */
  private static OutboundProxy proxy(ConfigLoader c) {
    String url = c.get(ConfigKeys.PROXY_URL);
    if (url.isEmpty()) {
      url = c.standardVariable(ConfigKeys.PROXY_URL, OutboundProxy.PROXY_VARIABLES);
    }
    List<String> bypass = c.get(ConfigKeys.PROXY_NO_PROXY);
    if (bypass.isEmpty()) {
      bypass = c.standardVariable(ConfigKeys.PROXY_NO_PROXY, OutboundProxy.NO_PROXY_VARIABLES);
    }
    return OutboundProxy.of(url, bypass);
  }

  /** {@code cluster.bus-port}: 0 stands for the port after the cluster port. */
  private static int busPort(int clusterPort, int busPort) {
    if (busPort != 0) {
      return busPort;
    }
    if (clusterPort == 65535) {
      throw new ConfigException(ConfigKeys.CLUSTER_BUS_PORT.name(), "cannot be cluster.port + 1 when cluster.port is "
          + "65535; " + ConfigKeys.CLUSTER_BUS_PORT.howToSet());
    }
    return clusterPort + 1;
  }

  static OutpostConfig from(ConfigLoader c) {
    String location = c.get(ConfigKeys.LOCATION);
    List<String> join = c.get(ConfigKeys.CLUSTER_JOIN);
    String clusterName = c.get(ConfigKeys.CLUSTER_NAME);
    String clusterHost = c.get(ConfigKeys.CLUSTER_HOST);
    if (!join.isEmpty() && c.get(ConfigKeys.CLUSTER_SECRET).isEmpty()) {
      throw new ConfigException(ConfigKeys.CLUSTER_SECRET.name(), "is required with --join (cluster.join): every "
          + "cluster connection proves it; run 'outpost appliance join-command' on a running node of the site and "
          + "start this node as it prints, or " + ConfigKeys.CLUSTER_SECRET.howToSet() + " to that site's secret");
    }
    return new OutpostConfig(
        c.get(ConfigKeys.DATA_DIR).toAbsolutePath().normalize(),
        location,
        c.get(ConfigKeys.DEMO),
        c.get(ConfigKeys.DEMO_SSH_PORT),
        c.get(ConfigKeys.ADMIN_PASSWORD_FILE),
        new LogConfig(c.get(ConfigKeys.LOG_FORMAT), c.get(ConfigKeys.LOG_LEVEL)),
        new HttpConfig(c.get(ConfigKeys.HTTP_HOST), c.get(ConfigKeys.HTTP_PORT), c.get(ConfigKeys.HTTP_PUBLIC_NAMES),
            c.get(ConfigKeys.HTTP_MAX_BODY), c.get(ConfigKeys.HTTP_HEADER_TIMEOUT)),
        new GatewayConfig(c.get(ConfigKeys.GATEWAY_PORT), c.get(ConfigKeys.GATEWAY_IDLE_TIMEOUT),
            c.get(ConfigKeys.GATEWAY_HANDSHAKE_TIMEOUT), c.get(ConfigKeys.GATEWAY_MAX_HANDSHAKES),
            c.get(ConfigKeys.GATEWAY_MAX_HANDSHAKES_PER_ADDRESS), c.get(ConfigKeys.GATEWAY_CONNECT_TIMEOUT)),
        new ClusterConfig(ClusterConfig.sealedName(clusterName.isEmpty() ? "outpost-" + location : clusterName,
            c.get(ConfigKeys.CLUSTER_SECRET)),
            clusterHost.isEmpty() && join.isEmpty() ? "127.0.0.1" : clusterHost,
            c.get(ConfigKeys.CLUSTER_PORT), busPort(c.get(ConfigKeys.CLUSTER_PORT), c.get(ConfigKeys.CLUSTER_BUS_PORT)),
            join, c.get(ConfigKeys.CLUSTER_MIN_MEMBERS),
            c.get(ConfigKeys.CLUSTER_SECRET)),
        new HubConfig(c.get(ConfigKeys.HUB_URL), c.get(ConfigKeys.HUB_PUBLIC_URL), c.get(ConfigKeys.HUB_TOKEN), c.get(ConfigKeys.HUB_HOST),
            c.get(ConfigKeys.HUB_PORT),
            c.get(ConfigKeys.HUB_PING), c.get(ConfigKeys.HUB_OUTAGE_THRESHOLD), c.get(ConfigKeys.HUB_SYNC_INTERVAL)),
        proxy(c),
        new BrokerConfig(c.get(ConfigKeys.BROKER_HEARTBEAT), c.get(ConfigKeys.BROKER_TICKET_TTL)),
        new DbConfig(c.get(ConfigKeys.DB_URL), c.get(ConfigKeys.DB_POOL_SIZE)),
        new IdentityConfig(c.get(ConfigKeys.SESSION_TTL), c.get(ConfigKeys.LOGIN_MAX_FAILURES_USER),
            c.get(ConfigKeys.LOGIN_MAX_FAILURES_ADDRESS), c.get(ConfigKeys.LOGIN_WINDOW)),
        new DirectoryConfig(c.get(ConfigKeys.DIRECTORY_OFFLINE_WINDOW), c.get(ConfigKeys.DIRECTORY_CONNECT_TIMEOUT),
            c.get(ConfigKeys.DIRECTORY_TIMEOUT), c.get(ConfigKeys.DIRECTORY_GROUP_CACHE_TTL),
            c.get(ConfigKeys.DIRECTORY_SETTINGS_REFRESH)),
        new LeaseConfig(c.get(ConfigKeys.LEASE_VALIDITY_DAYS), c.get(ConfigKeys.LEASE_ISSUE_RATE),
            c.get(ConfigKeys.LEASE_PROOF_WINDOW)),
        new MetricsConfig(c.get(ConfigKeys.METRICS_TOKEN)),
        audit(c));
  }

  /** {@code audit.*}: syslog export when collectors are named, trusting the CA file only if it holds certificates. */
  private static AuditConfig audit(ConfigLoader c) {
    List<String> collectors = c.get(ConfigKeys.AUDIT_SYSLOG_COLLECTORS);
    Path caFile = c.get(ConfigKeys.AUDIT_SYSLOG_CA_FILE);
    if (caFile != null && !collectors.isEmpty()) {
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(caFile)) {
        if (java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in).isEmpty()) {
          throw new java.security.cert.CertificateException("no certificate in it");
        }
      } catch (java.io.IOException | java.security.cert.CertificateException e) {
        throw new ConfigException(ConfigKeys.AUDIT_SYSLOG_CA_FILE.name(), "'" + caFile + "' cannot be read as PEM "
            + "certificates (" + e.getMessage() + "); " + ConfigKeys.AUDIT_SYSLOG_CA_FILE.howToSet());
      }
    }
    return new AuditConfig(c.get(ConfigKeys.AUDIT_CHECKPOINT_INTERVAL), collectors.isEmpty()
        ? java.util.Optional.empty()
        : java.util.Optional.of(new AuditConfig.Syslog(collectors, java.util.Optional.ofNullable(caFile),
            AuditConfig.Facility.of(c.get(ConfigKeys.AUDIT_SYSLOG_FACILITY)))));
  }
}
