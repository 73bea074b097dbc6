package dev.outpost.cluster;

import com.hazelcast.nio.MemberSocketInterceptor;
import dev.outpost.crypto.ClusterKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every cluster connection proves, before Hazelcast reads or writes a byte on it, that both ends know
 * {@code cluster.secret}: a mutual challenge-response under a key derived from it. Open-source Hazelcast has no
 * member authentication, and a cluster name is visible on the wire, so without this anything that can reach the
 * cluster port could join as a member or speak as one. A Hazelcast client, a member without the secret, or any
 * other program is closed after at most {@link #TIMEOUT} without having been able to send Hazelcast a packet.
 *
 * <pre>
 * connector → acceptor:  "OPM1" nonceC(32)
 * acceptor  → connector: "OPM1" nonceA(32) HMAC(k, "acceptor" nonceC nonceA)
 * connector → acceptor:  HMAC(k, "connector" nonceC nonceA)
 * </pre>
 * Both nonces are fresh per connection, so a recorded exchange cannot be replayed, and the role labels keep one
 * side's answer from being reflected as the other's. What follows on the connection is Hazelcast's own protocol,
 * in clear: the values Outpost keeps in the cluster are sealed ({@link ClusterSeal}) and the event bus runs TLS.
 */
public final class MemberAuthenticator implements MemberSocketInterceptor {

  private static final Logger LOG = LoggerFactory.getLogger(MemberAuthenticator.class);
  /** Longest a peer may take to answer its part of the exchange. */
  public static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final byte[] MAGIC = "OPM1".getBytes(StandardCharsets.US_ASCII);
  private static final int NONCE = 32;
  private static final int MAC = 32;
  private static final byte[] ACCEPTOR = "acceptor".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONNECTOR = "connector".getBytes(StandardCharsets.US_ASCII);
  /** At most one log line a second for refused connections; the metric counts each. */
  private static final long LOG_EVERY_NANOS = 1_000_000_000L;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;
  private final Counter refused;
  private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);

  public MemberAuthenticator(ClusterKeys keys, MeterRegistry metrics) {
    this.key = keys.memberAuthentication();
    this.refused = Counter.builder("outpost.cluster.connections.refused")
        .description("Connections to or from the cluster port closed because the other end did not prove it "
            + "knows cluster.secret")
        .register(metrics);
  }

  @Override
  public void init(Properties properties) {
    // configured in code
  }

  /** This node dialled another member. */
  @Override
  public void onConnect(Socket socket) throws IOException {
    String peer = String.valueOf(socket.getRemoteSocketAddress());
    try {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      byte[] mine = nonce();
      out.write(concat(MAGIC, mine));
      out.flush();
      byte[] magic = read(in, MAGIC.length);
      if (!Arrays.equals(magic, MAGIC)) {
        throw refuse(peer, "it does not speak Outpost's cluster protocol (another program on that port?)");
      }
      byte[] theirs = read(in, NONCE);
      byte[] proof = read(in, MAC);
      if (!MessageDigest.isEqual(proof, ClusterKeys.hmac(key, ACCEPTOR, mine, theirs))) {
        throw refuse(peer, "it proved a different cluster.secret: set the same cluster.secret on every node of "
            + "the site");
      }
      out.write(ClusterKeys.hmac(key, CONNECTOR, mine, theirs));
      out.flush();
      socket.setSoTimeout(0);
    } catch (SocketTimeoutException | EOFException e) {
      throw refuse(peer, "it did not answer the cluster handshake in time or closed the connection");
    }
  }

  /** Another member (or anything else) dialled this node. */
  @Override
  public void onAccept(Socket socket) throws IOException {
    String peer = String.valueOf(socket.getRemoteSocketAddress());
    try {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      byte[] magic = read(in, MAGIC.length);
      if (!Arrays.equals(magic, MAGIC)) {
        throw refuse(peer, "it did not open with Outpost's cluster handshake (a Hazelcast client or member "
            + "without Outpost, or another program)");
      }
      byte[] theirs = read(in, NONCE);
      byte[] mine = nonce();
      out.write(concat(MAGIC, mine, ClusterKeys.hmac(key, ACCEPTOR, theirs, mine)));
      out.flush();
      byte[] proof = read(in, MAC);
      if (!MessageDigest.isEqual(proof, ClusterKeys.hmac(key, CONNECTOR, theirs, mine))) {
        throw refuse(peer, "it did not prove it knows cluster.secret");
      }
      socket.setSoTimeout(0);
    } catch (SocketTimeoutException | EOFException e) {
      throw refuse(peer, "it did not complete the cluster handshake in time");
    }
  }

  private IOException refuse(String peer, String why) {
    refused.increment();
    long now = System.nanoTime();
    long last = lastLog.get();
    if (now - last >= LOG_EVERY_NANOS && lastLog.compareAndSet(last, now)) {
      LOG.atWarn().addKeyValue("peer", peer).log("Cluster connection with {} refused: {}", peer, why);
    }
    return new IOException("cluster connection with " + peer + " refused: " + why);
  }

  private static byte[] read(InputStream in, int length) throws IOException {
    byte[] bytes = in.readNBytes(length);
    if (bytes.length < length) {
      throw new EOFException();
    }
    return bytes;
  }

  private static byte[] nonce() {
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    return nonce;
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] all = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, all, at, part.length);
      at += part.length;
    }
    return all;
  }
}
