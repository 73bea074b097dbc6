package dev.outpost.appliance.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every configuration key Outpost knows, with its flag, default and documentation. {@code conf/outpost.yaml}
 * documents the same keys (a test keeps the two in step).
 */
public final class ConfigKeys {

  private static final Map<String, ConfigKey<?>> ALL = new LinkedHashMap<>();

  public static final ConfigKey<Path> DATA_DIR = key("data-dir", "--data-dir", "data",
      "Directory for the node's state: TLS keys and certificates, embedded database, lock file. "
          + "Created on first start.",
      Parsers.path());
  public static final ConfigKey<String> LOCATION = key("site.location", null, "default",
      "Name of the resource location this node belongs to.", Parsers.name());
  public static final ConfigKey<Boolean> DEMO = key("demo", "--demo", "false",
      "Create a demo user, pool and resource on start (idempotent).", Parsers.bool());
  public static final ConfigKey<Integer> DEMO_SSH_PORT = key("demo-ssh-port", "--demo-port", "22",
      "Port of the SSH service the demo resource (demo-ssh) reaches on session hosts; with demo, every start sets "
          + "the resource to it (e.g. 2222 for an sshd that is not on port 22).", Parsers.port(false));
  public static final ConfigKey<Path> ADMIN_PASSWORD_FILE = key("admin.password-file", "--admin-password-file", "",
      "File holding the bootstrap admin password; when empty a random one is printed once on first start.",
      Parsers.optionalPath());

  public static final ConfigKey<String> LOG_FORMAT = key("log.format", "--log-format", "text",
      "Log line format: text or json (one JSON object per line).", Parsers.oneOf("text", "json"));
  public static final ConfigKey<String> LOG_LEVEL = key("log.level", "--log-level", "info",
      "Lowest level logged: error, warn, info, debug or trace.",
      Parsers.oneOf("error", "warn", "info", "debug", "trace"));

  public static final ConfigKey<String> HTTP_HOST = key("http.host", null, "0.0.0.0",
      "Address the HTTPS listener binds to.", Parsers.text());
  public static final ConfigKey<Integer> HTTP_PORT = key("http.port", "--https-port", "8443",
      "HTTPS port for the web store, APIs and agent/client WebSockets.", Parsers.port(true));
  public static final ConfigKey<List<String>> HTTP_PUBLIC_NAMES = key("http.public-names", null, "",
      "Extra DNS names or IP addresses put in the node certificate (comma-separated); the first one is also how "
          + "connection leases name this node to clients, and the console and audit log to admins (default: its "
          + "host name).", Parsers.nameList());
  public static final ConfigKey<Integer> HTTP_MAX_BODY = key("http.max-body-bytes", null, "65536",
      "Largest request body accepted; larger requests get 413.", Parsers.intRange(1024, 16 * 1024 * 1024));
  public static final ConfigKey<Duration> HTTP_HEADER_TIMEOUT = key("http.header-timeout", null, "10s",
      "Time a client has to send a request's line and headers, from connecting (after TLS) or from the first byte of "
          + "a later request on the connection; a connection that sends them slower is closed (slowloris). Applies "
          + "to the HTTPS port and to the hub's.", Parsers.duration(Duration.ofSeconds(1), Duration.ofMinutes(5)));

  public static final ConfigKey<Integer> TLS_RENEW_AT = key("tls.renew-at", null, "67",
      "Percent of a certificate's lifetime after which it is renewed without a restart: agents' client "
          + "certificates, appliances' connector certificates and nodes' own; each renewal falls up to 5 points "
          + "earlier or later at random, so that hosts enrolled together do not renew together.",
      Parsers.intRange(10, 90));
  public static final ConfigKey<Duration> TLS_AGENT_VALIDITY = key("tls.agent-certificate-validity", null, "365d",
      "How long a client certificate issued to a session host's agent (at enrollment or renewal) is valid.",
      Parsers.duration(Duration.ofMinutes(1), Duration.ofDays(3650)));
  public static final ConfigKey<Duration> TLS_NODE_VALIDITY = key("tls.node-certificate-validity", null, "825d",
      "How long the node's own TLS certificate (tls/node.crt, issued by the site CA) is valid.",
      Parsers.duration(Duration.ofMinutes(1), Duration.ofDays(3650)));
  public static final ConfigKey<Duration> TLS_CONNECTOR_VALIDITY = key("tls.connector-certificate-validity", null,
      "825d", "How long a connector certificate the hub issues to an appliance (at enrollment or renewal) is valid; "
          + "read by outpost hub.", Parsers.duration(Duration.ofMinutes(1), Duration.ofDays(3650)));

  public static final ConfigKey<Integer> GATEWAY_PORT = key("gateway.port", "--gateway-port", "2598",
      "TLS port of the raw TCP session gateway.", Parsers.port(true));
  public static final ConfigKey<Duration> GATEWAY_IDLE_TIMEOUT = key("gateway.idle-timeout", null, "30m",
      "A gateway stream with no bytes in either direction for this long is closed.",
      Parsers.duration(Duration.ofSeconds(1), Duration.ofDays(7)));
  public static final ConfigKey<Duration> GATEWAY_HANDSHAKE_TIMEOUT = key("gateway.handshake-timeout", null, "10s",
      "Time a client has, from connecting, to complete TLS and present its ticket before the gateway closes it.",
      Parsers.duration(Duration.ofMillis(100), Duration.ofMinutes(5)));
  public static final ConfigKey<Integer> GATEWAY_MAX_HANDSHAKES = key("gateway.max-handshakes", null, "2000",
      "Gateway connections allowed at once on this node that have not presented a valid ticket yet; more are refused.",
      Parsers.intRange(1, 1_000_000));
  public static final ConfigKey<Integer> GATEWAY_MAX_HANDSHAKES_PER_ADDRESS = key("gateway.max-handshakes-per-address",
      null, "100", "Gateway connections one client address may have at once that have not presented a valid ticket "
          + "yet, so that one address cannot take the handshake slots of everyone else; more from it are refused. A "
          + "share of gateway.max-handshakes: a larger value changes nothing.", Parsers.intRange(1, 1_000_000));
  public static final ConfigKey<Duration> GATEWAY_CONNECT_TIMEOUT = key("gateway.connect-timeout", null, "5s",
      "How long the gateway waits for a session host to accept the TCP connection.",
      Parsers.duration(Duration.ofMillis(100), Duration.ofMinutes(5)));

  public static final ConfigKey<Integer> CLUSTER_PORT = key("cluster.port", "--cluster-port", "5701",
      "Port of the cluster (Hazelcast) member on this node.", Parsers.port(false));
  public static final ConfigKey<String> CLUSTER_HOST = key("cluster.host", "--cluster-host", "",
      "Address other nodes reach this node on; the member listens on it only and connects to them from it. "
          + "Empty: 127.0.0.1 when --join is empty, else chosen automatically.", Parsers.text());
  public static final ConfigKey<List<String>> CLUSTER_JOIN = key("cluster.join", "--join", "",
      "Comma-separated host:port of other nodes of this site to join; empty for a single-node site.",
      Parsers.hostPortList(5701));
  public static final ConfigKey<Integer> CLUSTER_MIN_MEMBERS = key("cluster.min-members", null, "1",
      "Split-brain protection: a node that sees fewer members (itself included) refuses to consume tickets and to "
          + "broker alone. Set it to a majority of the site's nodes (2 of 3); 1 turns it off.",
      Parsers.intRange(1, 100));
  public static final ConfigKey<Integer> CLUSTER_BUS_PORT = key("cluster.bus-port", "--cluster-bus-port", "0",
      "Port of this node's event bus (mutual TLS between the site's nodes) on cluster.host; 0: cluster.port + 1 "
          + "(5702 by default). Open it between the nodes like cluster.port.", Parsers.port(true));
  public static final ConfigKey<String> CLUSTER_SECRET = secretKey("cluster.secret", null, "",
      "Shared secret of the site's nodes (at least 16 characters; e.g. openssl rand -hex 32): set the same value on "
          + "every node. Every cluster connection proves it, the values kept in the cluster and the key for the "
          + "secrets stored in the database are sealed under it, and a node that joins with it on a fresh data dir "
          + "adopts the site CA. Required with --join; empty on a "
          + "single node: the node makes one and keeps it in <data-dir>/secrets/cluster.secret "
          + "(outpost appliance join-command prints it for the next node).",
      Parsers.optionalSecret(dev.outpost.crypto.ClusterKeys.MIN_SECRET_LENGTH));
  public static final ConfigKey<String> CLUSTER_NAME = key("cluster.name", null, "",
      "Cluster name; empty: outpost-<site.location>. Nodes only join nodes with the same name.", Parsers.text());

  public static final ConfigKey<URI> HUB_URL = key("hub.url", "--hub", "",
      "URL of a separate hub (https://host:9443); empty runs the hub role in this process.",
      Parsers.optionalHttpsUrl());
  public static final ConfigKey<URI> HUB_PUBLIC_URL = key("hub.public-url", null, "",
      "The hub's address for external clients (https://host:port), offered in launches as its rendezvous gateway; "
          + "empty: hub.url. Appliances with a separate hub only.", Parsers.optionalHttpsUrl());
  public static final ConfigKey<String> HUB_TOKEN = secretKey("hub.token", "--hub-token", "",
      "Connector token from the hub (POST /admin/api/v1/locations there); needed on the first start with --hub only.",
      Parsers.text());
  public static final ConfigKey<String> HUB_HOST = key("hub.host", null, "0.0.0.0",
      "Address `outpost hub` binds to.", Parsers.text());
  public static final ConfigKey<Integer> HUB_PORT = key("hub.port", "--hub-port", "9443",
      "HTTPS port of `outpost hub`. The in-process hub of an appliance listens on a free loopback port instead.",
      Parsers.port(true));
  public static final ConfigKey<Duration> HUB_PING = key("hub.ping-interval", null, "2s",
      "How often the appliance checks that the hub answers.",
      Parsers.duration(Duration.ofMillis(200), Duration.ofMinutes(5)));
  public static final ConfigKey<Duration> HUB_OUTAGE_THRESHOLD = key("hub.outage-threshold", null, "10s",
      "How long the hub may stay silent before this appliance brokers alone from its local host cache (outage "
          + "mode). Appliances with a separate hub only.",
      Parsers.duration(Duration.ofSeconds(1), Duration.ofMinutes(10)));
  public static final ConfigKey<Duration> HUB_SYNC_INTERVAL = key("hub.sync-interval", null, "10s",
      "How often the appliance refreshes its local host cache (site configuration and accounts) and lease trust from "
          + "the hub; accounts losing access and revocations made there arrive at once.",
      Parsers.duration(Duration.ofSeconds(1), Duration.ofMinutes(10)));

  public static final ConfigKey<String> PROXY_URL = secretKey("proxy.url", "--proxy", "",
      "HTTP CONNECT proxy for the link to a separate hub, http://[USER:PASSWORD@]HOST:PORT; empty: HTTPS_PROXY (or "
          + "https_proxy) from the environment; 'direct': no proxy even when HTTPS_PROXY is set.",
      Parsers.proxyUrl());
  public static final ConfigKey<List<String>> PROXY_NO_PROXY = key("proxy.no-proxy", null, "",
      "Hosts reached without the proxy: '*', host names, addresses or domain suffixes (comma-separated); empty: "
          + "NO_PROXY (or no_proxy) from the environment.", Parsers.bypassList());

  public static final ConfigKey<Duration> BROKER_HEARTBEAT = key("broker.heartbeat-interval", null, "10s",
      "How often agents report; a host silent for 3 intervals is unregistered and its sessions end. Set on the hub "
          + "(or an all-in-one appliance).", Parsers.duration(Duration.ofSeconds(1), Duration.ofMinutes(10)));
  public static final ConfigKey<Duration> BROKER_TICKET_TTL = key("broker.ticket-ttl", null, "100s",
      "How long a launch ticket stays valid (single use).", Parsers.duration(Duration.ofSeconds(10),
          Duration.ofMinutes(30)));

  public static final ConfigKey<String> DB_URL = secretKey("db.url", "--db-url", "",
      "External PostgreSQL, postgresql://USER:PASSWORD@HOST:PORT/DATABASE; empty starts an embedded one under "
          + "data-dir.",
      Parsers.optionalPostgresUrl());
  public static final ConfigKey<Integer> DB_POOL_SIZE = key("db.pool-size", null, "8",
      "Connections in the database pool.", Parsers.intRange(1, 200));
  public static final ConfigKey<Integer> DB_PEER_PORT = key("db.peer-port", "--db-peer-port", "0",
      "Port on cluster.host where the embedded database of a site without --db-url serves the site's other nodes "
          + "(streaming replication and their pools, TLS only); 0: cluster.port + 2 (5703 by default). Open it "
          + "between the nodes like cluster.port.", Parsers.port(true));

  public static final ConfigKey<Duration> SESSION_TTL = key("identity.session-ttl", null, "8h",
      "How long a sign-in stays valid.", Parsers.duration(Duration.ofMinutes(1), Duration.ofDays(30)));
  public static final ConfigKey<Integer> LOGIN_MAX_FAILURES_USER = key("identity.login.max-failures-per-user", null,
      "5", "Failed sign-ins allowed per user name within the window, all nodes of the site together, before further "
          + "attempts get 429. An attempt counts from the moment its password check starts, so parallel attempts "
          + "cannot get past the limit.", Parsers.intRange(1, 1000));
  public static final ConfigKey<Integer> LOGIN_MAX_FAILURES_ADDRESS = key("identity.login.max-failures-per-address",
      null, "20", "Failed sign-ins allowed per client address within the window, all nodes of the site together, "
          + "before further attempts get 429.", Parsers.intRange(1, 100000));
  public static final ConfigKey<Duration> LOGIN_WINDOW = key("identity.login.window", null, "5m",
      "Window over which failed sign-ins are counted.", Parsers.duration(Duration.ofSeconds(1), Duration.ofDays(1)));
  public static final ConfigKey<Duration> REMEMBER_DEVICE = key("identity.remember-device", null, "30d",
      "How long a device on which a user ticked 'Remember this device' skips the second factor (bound to the "
          + "device's key); 0s turns the choice off.", Parsers.duration(Duration.ZERO, Duration.ofDays(90)));

  public static final ConfigKey<Duration> DIRECTORY_OFFLINE_WINDOW = key("directory.offline-window", null, "7d",
      "While a directory (LDAP/AD) cannot be reached, users who signed in through it within this window still sign "
          + "in against a verifier of their last good password kept on the appliance; 0s turns offline sign-in off.",
      Parsers.duration(Duration.ZERO, Duration.ofDays(90)));
  public static final ConfigKey<Duration> DIRECTORY_CONNECT_TIMEOUT = key("directory.connect-timeout", null, "3s",
      "How long to wait for a directory server to accept a connection before trying its next URL.",
      Parsers.duration(Duration.ofMillis(100), Duration.ofMinutes(1)));
  public static final ConfigKey<Duration> DIRECTORY_TIMEOUT = key("directory.timeout", null, "5s",
      "How long any one directory operation (StartTLS, bind, search) may take.",
      Parsers.duration(Duration.ofMillis(100), Duration.ofMinutes(2)));
  public static final ConfigKey<Duration> DIRECTORY_GROUP_CACHE_TTL = key("directory.group-cache-ttl", null, "5m",
      "How long a directory user's groups, resolved at sign-in, are reused for their next sign-ins; 0s: always ask.",
      Parsers.duration(Duration.ZERO, Duration.ofDays(1)));
  public static final ConfigKey<Duration> DIRECTORY_SETTINGS_REFRESH = key("directory.settings-refresh", null, "30s",
      "How often an appliance reads its location's directory settings from the hub again.",
      Parsers.duration(Duration.ofSeconds(1), Duration.ofHours(1)));

  public static final ConfigKey<Integer> LEASE_VALIDITY_DAYS = key("lease.validity-days", null, "7",
      "How long a connection lease stays valid (site policy). Read where the hub role runs: a separate hub or an "
          + "all-in-one appliance.", Parsers.intRange(1, 30));
  public static final ConfigKey<Integer> LEASE_ISSUE_RATE = key("lease.issue-rate", null, "100",
      "Most leases per second a site's appliances ask their hub to sign, cluster-wide; sign-ins never wait for "
          + "leases, which queue instead.", Parsers.intRange(1, 100_000));
  public static final ConfigKey<Duration> LEASE_PROOF_WINDOW = key("lease.proof-window", null, "60s",
      "How far the time in a lease launch's device-key proof may be from the appliance's clock; each proof is "
          + "accepted once.", Parsers.duration(Duration.ofSeconds(5), Duration.ofMinutes(10)));

  public static final ConfigKey<String> METRICS_TOKEN = secretKey("metrics.token", null, "",
      "Bearer token GET /metrics requires (Authorization: Bearer <token>; at least 16 characters, e.g. openssl rand "
          + "-hex 32); empty: /metrics answers anyone who reaches the HTTPS port, so firewall it.",
      Parsers.optionalBearerToken(16));

  public static final ConfigKey<Duration> AUDIT_CHECKPOINT_INTERVAL = key("audit.checkpoint-interval", null, "1m",
      "How often the site signs the head of its audit log's hash chain (Ed25519, with a key kept sealed in the "
          + "database like the lease signing keys), when entries were added since the last checkpoint.",
      Parsers.duration(Duration.ofSeconds(1), Duration.ofDays(1)));
  public static final ConfigKey<List<String>> AUDIT_SYSLOG_COLLECTORS = key("audit.syslog.collectors", null, "",
      "Syslog collectors (SIEM) that receive every audit entry as RFC 5424 syslog over TLS (RFC 5425), host:port "
          + "comma-separated, tried in order (port default 6514); empty: no syslog export. Entries wait in the "
          + "database while no collector takes them, and are delivered in order once one does.",
      Parsers.hostPortList(6514));
  public static final ConfigKey<Path> AUDIT_SYSLOG_CA_FILE = key("audit.syslog.ca-file", null, "",
      "PEM file with the CA certificate(s) that sign the syslog collectors' certificates; empty: the Java runtime's "
          + "default trust store. The collector's certificate must name the host it is reached by.",
      Parsers.optionalPath());
  public static final ConfigKey<String> AUDIT_SYSLOG_FACILITY = key("audit.syslog.facility", null, "authpriv",
      "Syslog facility of the audit messages: auth, authpriv or local0 to local7.",
      Parsers.oneOf(dev.outpost.admin.AuditConfig.Facility.names().toArray(String[]::new)));

  public static final ConfigKey<Integer> RECORDING_MAX_BYTES = key("recording.max-bytes", null, "67108864",
      "Largest size of one browser terminal recording (asciicast file in recordings/ under the data dir); past it the "
          + "rest of the session is not recorded and its audit entry says truncated. Pools choose recording with "
          + "recordSessions.", Parsers.intRange(1024, 1024 * 1024 * 1024));
  public static final ConfigKey<Duration> RECORDING_RETENTION = key("recording.retention", null, "30d",
      "Browser terminal recordings last written longer ago than this are deleted from the node (checked at start and "
          + "every hour).", Parsers.duration(Duration.ofHours(1), Duration.ofDays(3650)));

  /**
   * A duration written as in the configuration ({@code 500ms}, {@code 10s}, {@code 5m}, {@code 8h}, {@code 7d}), for
   * command options that take one.
   *
   * @throws IllegalArgumentException naming the accepted form or range
   */
  public static java.time.Duration duration(String raw, java.time.Duration min, java.time.Duration max) {
    return Parsers.duration(min, max).parse(raw);
  }

  private ConfigKeys() {
  }

  private static <T> ConfigKey<T> key(String name, String flag, String def, String doc, ConfigKey.Parser<T> parser) {
    return register(new ConfigKey<>(name, flag, def, doc, parser, false));
  }

  private static <T> ConfigKey<T> secretKey(String name, String flag, String def, String doc,
      ConfigKey.Parser<T> parser) {
    return register(new ConfigKey<>(name, flag, def, doc, parser, true));
  }

  private static <T> ConfigKey<T> register(ConfigKey<T> key) {
    if (ALL.put(key.name(), key) != null) {
      throw new IllegalStateException("duplicate configuration key " + key.name());
    }
    return key;
  }

  /** All keys in documentation order. */
  public static List<ConfigKey<?>> all() {
    return List.copyOf(ALL.values());
  }

  /** The key with this name, or {@code null}. */
  public static ConfigKey<?> byName(String name) {
    return ALL.get(name);
  }
}
