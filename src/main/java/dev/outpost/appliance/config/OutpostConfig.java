package dev.outpost.appliance.config;

import dev.outpost.admin.AuditConfig;
import dev.outpost.broker.BrokerConfig;
import dev.outpost.cluster.ClusterConfig;
import dev.outpost.crypto.RenewalSchedule;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.db.DbConfig;
import dev.outpost.gateway.GatewayConfig;
import dev.outpost.http.HttpConfig;
import dev.outpost.http.MetricsConfig;
import dev.outpost.http.OutboundProxy;
import dev.outpost.hub.HubConfig;
import dev.outpost.hub.HubNode;
import dev.outpost.identity.IdentityConfig;
import dev.outpost.identity.directory.DirectoryConfig;
import dev.outpost.lease.LeaseConfig;
import dev.outpost.recording.RecordingConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The validated configuration of one Outpost process. Built once at start-up by {@link ConfigLoader}; each
 * feature receives the part it needs, as a record that lives in the feature (e.g. {@link GatewayConfig}) with its
 * defaults and its checks.
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
    TlsConfig tls,
    AuditConfig audit,
    RecordingConfig recording) {

  /** Logging: {@code log.*}. */
  public record LogConfig(String format, String level) {
    public boolean json() {
      return "json".equals(format);
    }
  }

  /** The parts of this configuration that {@code outpost hub} runs on. */
  public HubNode.Settings hubSettings() {
    return new HubNode.Settings(dataDir, adminPasswordFile, db, http, hub, gateway, identity, broker, lease, metrics,
        tls.connectorValidity(), audit);
  }

  /**
   * Certificate lifetimes and renewal: {@code tls.*}.
   *
   * @param renewAtPercent percent of a certificate's lifetime after which it is renewed
   */
  public record TlsConfig(Duration agentValidity, Duration nodeValidity, Duration connectorValidity,
      int renewAtPercent) {

    public static final TlsConfig DEFAULTS = new TlsConfig(Duration.ofDays(365), Duration.ofDays(825),
        Duration.ofDays(825), 67);

    /** When certificates are renewed. */
    public RenewalSchedule renewal() {
      return RenewalSchedule.DEFAULT.withFraction(renewAtPercent / 100.0);
    }

    /** How the node's own certificate is issued and renewed. */
    public SiteCertificates.NodeTerms nodeTerms() {
      return new SiteCertificates.NodeTerms(nodeValidity, renewal());
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

  /** {@code db.peer-port}: 0 stands for the cluster port + 2. */
  private static int peerPort(int clusterPort, int peerPort) {
    if (peerPort != 0) {
      return peerPort;
    }
    if (clusterPort > 65533) {
      throw new ConfigException(ConfigKeys.DB_PEER_PORT.name(), "cannot be cluster.port + 2 when cluster.port is "
          + clusterPort + "; " + ConfigKeys.DB_PEER_PORT.howToSet());
    }
    return clusterPort + 2;
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
        new ClusterConfig(ClusterConfig.sealedName(clusterName.isEmpty() ? ClusterConfig.DEFAULT_NAME_PREFIX + location
            : clusterName, c.get(ConfigKeys.CLUSTER_SECRET)),
            clusterHost.isEmpty() && join.isEmpty() ? ClusterConfig.DEFAULT_SINGLE_NODE_HOST : clusterHost,
            c.get(ConfigKeys.CLUSTER_PORT), busPort(c.get(ConfigKeys.CLUSTER_PORT), c.get(ConfigKeys.CLUSTER_BUS_PORT)),
            join, c.get(ConfigKeys.CLUSTER_MIN_MEMBERS),
            c.get(ConfigKeys.CLUSTER_SECRET)),
        new HubConfig(c.get(ConfigKeys.HUB_URL), c.get(ConfigKeys.HUB_PUBLIC_URL), c.get(ConfigKeys.HUB_TOKEN),
            c.get(ConfigKeys.HUB_HOST), c.get(ConfigKeys.HUB_PORT),
            c.get(ConfigKeys.HUB_PING), c.get(ConfigKeys.HUB_OUTAGE_THRESHOLD), c.get(ConfigKeys.HUB_SYNC_INTERVAL)),
        proxy(c),
        new BrokerConfig(c.get(ConfigKeys.BROKER_HEARTBEAT), c.get(ConfigKeys.BROKER_TICKET_TTL)),
        new DbConfig(c.get(ConfigKeys.DB_URL), c.get(ConfigKeys.DB_POOL_SIZE),
            peerPort(c.get(ConfigKeys.CLUSTER_PORT), c.get(ConfigKeys.DB_PEER_PORT))),
        new IdentityConfig(c.get(ConfigKeys.SESSION_TTL), c.get(ConfigKeys.LOGIN_MAX_FAILURES_USER),
            c.get(ConfigKeys.LOGIN_MAX_FAILURES_ADDRESS), c.get(ConfigKeys.LOGIN_WINDOW),
            c.get(ConfigKeys.REMEMBER_DEVICE)),
        new DirectoryConfig(c.get(ConfigKeys.DIRECTORY_OFFLINE_WINDOW), c.get(ConfigKeys.DIRECTORY_CONNECT_TIMEOUT),
            c.get(ConfigKeys.DIRECTORY_TIMEOUT), c.get(ConfigKeys.DIRECTORY_GROUP_CACHE_TTL),
            c.get(ConfigKeys.DIRECTORY_SETTINGS_REFRESH)),
        new LeaseConfig(c.get(ConfigKeys.LEASE_VALIDITY_DAYS), c.get(ConfigKeys.LEASE_ISSUE_RATE),
            c.get(ConfigKeys.LEASE_PROOF_WINDOW)),
        new MetricsConfig(c.get(ConfigKeys.METRICS_TOKEN)),
        new TlsConfig(c.get(ConfigKeys.TLS_AGENT_VALIDITY), c.get(ConfigKeys.TLS_NODE_VALIDITY),
            c.get(ConfigKeys.TLS_CONNECTOR_VALIDITY), c.get(ConfigKeys.TLS_RENEW_AT)),
        audit(c),
        new RecordingConfig(c.get(ConfigKeys.RECORDING_MAX_BYTES), c.get(ConfigKeys.RECORDING_RETENTION)));
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
