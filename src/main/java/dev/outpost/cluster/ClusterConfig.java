package dev.outpost.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Cluster membership: {@code cluster.*}. The loader checks the documented ranges and resolves the defaults that
 * depend on other keys (the name from {@code site.location}, the host from {@code cluster.join}, the bus port from
 * the cluster port); the constructor refuses what no member could run with.
 *
 * @param name the cluster name members compare, sealed with the secret when there is one (see {@link #sealedName})
 * @param host the address other nodes reach this node on
 * @param port the Hazelcast member port
 * @param busPort the event bus port ({@code cluster.bus-port}), never 0
 * @param join {@code host:port} of other nodes of the site to join
 * @param minMembers split-brain protection: the fewest members a node must see to consume tickets and broker
 * @param secret {@code cluster.secret}, empty when not set; never shown by {@link #toString()}
 */
public record ClusterConfig(String name, String host, int port, int busPort, List<String> join, int minMembers,
    String secret) {

  public static final int DEFAULT_PORT = 5701;
  public static final int DEFAULT_MIN_MEMBERS = 1;
  /** The cluster name when {@code cluster.name} is empty: this prefix and the site's location. */
  public static final String DEFAULT_NAME_PREFIX = "outpost-";
  /** Where a node that joins no other listens when {@code cluster.host} is empty. */
  public static final String DEFAULT_SINGLE_NODE_HOST = "127.0.0.1";

  public ClusterConfig {
    Objects.requireNonNull(name, "cluster.name");
    Objects.requireNonNull(host, "cluster.host");
    join = List.copyOf(join);
    Objects.requireNonNull(secret, "cluster.secret");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("cluster.name must not be empty");
    }
    if (port < 1 || port > 65535 || busPort < 1 || busPort > 65535) {
      throw new IllegalArgumentException("cluster.port and cluster.bus-port must be from 1 to 65535, not " + port
          + " and " + busPort);
    }
    if (minMembers < 1) {
      throw new IllegalArgumentException("cluster.min-members must be at least 1, not " + minMembers);
    }
  }

  /** Whether the site's nodes share a secret, and with it the site CA. */
  public boolean hasSecret() {
    return !secret.isEmpty();
  }

  /**
   * The same settings with {@code secret} (e.g. the one a single node keeps in its data dir), and the cluster
   * name sealed with it as the loader seals a configured one.
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
  public static String sealedName(String name, String secret) {
    if (secret.isEmpty()) {
      return name;
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] tag = mac.doFinal(name.getBytes(StandardCharsets.UTF_8));
      return name + "-" + HexFormat.of().formatHex(tag, 0, 12);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
