package dev.outpost.db.replication;

import dev.outpost.crypto.SecureFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The configuration that belongs to one node, not to the data it holds: written into every data dir the node runs,
 * whether it initialised it or copied it from a primary (whose own {@code pg_hba.conf}, TLS files and standby
 * settings it must not keep). Blocking.
 */
final class NodeConfiguration {

  static final String AUTO_CONF = "postgresql.auto.conf";
  static final String HBA = "pg_hba.conf";
  static final String STANDBY_SIGNAL = "standby.signal";
  static final String TLS_DIR = "replication-tls";
  static final String SYNC_NAMES = "synchronous_standby_names";

  private NodeConfiguration() {
  }

  /** Copies the node's certificate and key under {@code dbDir}, owner-only, and returns the server settings. */
  static Map<String, String> serverSettings(Path dbDir, ReplicationSettings settings) throws IOException {
    Path tls = dbDir.resolve(TLS_DIR);
    SecureFiles.createPrivateDirectories(tls);
    Path certificate = tls.resolve("server.crt");
    Path key = tls.resolve("server.key");
    SecureFiles.writePrivate(certificate, Files.readAllBytes(settings.certificate()));
    SecureFiles.writePrivate(key, Files.readAllBytes(settings.privateKey()));
    SecureFiles.writePrivate(trustedCa(dbDir), Files.readAllBytes(settings.trustedCa()));
    Map<String, String> values = new LinkedHashMap<>();
    values.put("wal_level", "replica");
    values.put("max_wal_senders", "10");
    values.put("max_replication_slots", "10");
    values.put("hot_standby", "on");
    // a standby that follows a new primary may need segments from before its slot there was made
    values.put("wal_keep_size", "256MB");
    // a standby that vanished without closing its connection is dropped within seconds, not the default minute
    values.put("wal_sender_timeout", "10s");
    values.put("wal_receiver_timeout", "10s");
    values.put("hot_standby_feedback", "on");
    values.put("password_encryption", "scram-sha-256");
    values.put("ssl", "on");
    values.put("ssl_cert_file", certificate.toString());
    values.put("ssl_key_file", key.toString());
    values.put("ssl_min_protocol_version", "TLSv1.2");
    return values;
  }

  /** The node's copy of the site's authority, which a primary's certificate must chain to. */
  static Path trustedCa(Path dbDir) {
    return dbDir.resolve(TLS_DIR).resolve("ca.crt");
  }

  /** The settings that make a data dir a standby of {@code primary}, streaming from its own slot there. */
  static Map<String, String> standbySettings(Path dbDir, ReplicationSettings settings, PrimaryEndpoint primary) {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("primary_conninfo", primary.conninfo(settings.credentials(), settings.nodeName(), trustedCa(dbDir)));
    values.put("primary_slot_name", settings.nodeName());
    values.put("recovery_target_timeline", "latest");
    // the copied primary's list names standbys of that primary: promoted, this server starts alone
    values.put(SYNC_NAMES, "");
    return values;
  }

  /** Loopback for this node; the replication role from the peers, over TLS, for streaming and the outpost database. */
  static void writeHba(Path pgData, ReplicationSettings settings, String database) throws IOException {
    StringBuilder hba = new StringBuilder("""
        # Written by Outpost: loopback for this node; the site's nodes over TLS for replication and the database.
        host all all 127.0.0.1/32 scram-sha-256
        host all all ::1/128 scram-sha-256
        """);
    for (String network : settings.peerNetworks()) {
      String cidr = network.contains("/") ? network : network + (network.contains(":") ? "/128" : "/32");
      hba.append("hostssl replication ").append(ReplicationCredentials.ROLE).append(' ').append(cidr)
          .append(" scram-sha-256\n");
      hba.append("hostssl ").append(database).append(' ').append(ReplicationCredentials.ROLE).append(' ')
          .append(cidr).append(" scram-sha-256\n");
    }
    SecureFiles.writePrivate(pgData.resolve(HBA), hba.toString());
  }

  /** Sets {@code values} in the stopped server's {@code postgresql.auto.conf}, keeping its other lines. */
  static void rewriteAutoConf(Path pgData, Map<String, String> values) throws IOException {
    Path file = pgData.resolve(AUTO_CONF);
    List<String> lines = new ArrayList<>();
    if (Files.exists(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String key = line.split("=", 2)[0].strip();
        if (!values.containsKey(key)) {
          lines.add(line);
        }
      }
    } else {
      lines.add("# Do not edit this file manually!");
      lines.add("# It will be overwritten by the ALTER SYSTEM command.");
    }
    values.forEach((key, value) -> lines.add(key + " = '" + value.replace("'", "''") + "'"));
    SecureFiles.writePrivate(file, String.join("\n", lines) + "\n");
  }

  /** Sets {@code values} in the running server ({@code ALTER SYSTEM}) and reloads its configuration. */
  static void alterSystem(Connection superuser, Map<String, String> values) throws SQLException {
    try (Statement statement = superuser.createStatement()) {
      for (Map.Entry<String, String> entry : values.entrySet()) {
        statement.execute("ALTER SYSTEM SET " + entry.getKey() + " = " + literal(entry.getValue()));
      }
      statement.execute("SELECT pg_reload_conf()");
    }
  }

  static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
