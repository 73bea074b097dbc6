package dev.outpost.db.replication;

import dev.outpost.db.PeerListener;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One node's part in a replicated embedded database, validated once: its standby name (also its replication slot's
 * name at the primary), where it listens for the site's other nodes, which networks those may connect from, the TLS
 * certificate and key (PEM files) its server presents, the authority whose certificates it accepts from a primary,
 * and the credentials derived from the site secret.
 *
 * @param nodeName lower-case letters, digits and underscores, at most 63 (see {@link #standbyName(String)})
 * @param listener the node's cluster address and database port
 * @param peerNetworks CIDRs (or single addresses) of the site's nodes, allowed to stream and to use the outpost
 *     database
 * @param certificate the server certificate, PEM
 * @param privateKey its private key, PEM (copied with owner-only permissions, as PostgreSQL wants)
 * @param trustedCa the site's certificate authority, PEM: a primary must present a certificate it issued
 * @param credentials the site's derived passwords
 */
public record ReplicationSettings(String nodeName, PeerListener listener, List<String> peerNetworks, Path certificate,
    Path privateKey, Path trustedCa, ReplicationCredentials credentials) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,63}");
  private static final Pattern NETWORK = Pattern.compile("[0-9a-fA-F:.]+(/[0-9]{1,3})?");

  public ReplicationSettings {
    Objects.requireNonNull(nodeName, "nodeName");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(trustedCa, "trustedCa");
    Objects.requireNonNull(credentials, "credentials");
    if (!NAME.matcher(nodeName).matches()) {
      throw new IllegalArgumentException("a standby name has 1-63 lower-case letters, digits and underscores, not '"
          + nodeName + "'");
    }
    peerNetworks = List.copyOf(peerNetworks);
    if (peerNetworks.isEmpty()) {
      throw new IllegalArgumentException("no peer network: the site's other nodes could not connect");
    }
    for (String network : peerNetworks) {
      if (!NETWORK.matcher(network).matches()) {
        throw new IllegalArgumentException("not an address or CIDR: '" + network + "'");
      }
    }
  }

  /** A valid standby name for a cluster member called {@code memberName} (a host name, a UUID). */
  public static String standbyName(String memberName) {
    String name = memberName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    return name.isEmpty() ? "node" : name.length() > 63 ? name.substring(0, 63) : name;
  }
}
