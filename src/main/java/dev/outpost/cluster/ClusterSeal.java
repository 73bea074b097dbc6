package dev.outpost.cluster;

import dev.outpost.crypto.ClusterKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals the values Outpost keeps in Hazelcast: AES-256-GCM under a key derived from {@code cluster.secret}, with
 * the map's name and the entry's key as associated data, so that without the secret a value can be neither read,
 * edited, minted, nor moved to another key or map. A value that does not open is treated as absent and counted
 * ({@code outpost_cluster_values_rejected_total{map}}).
 *
 * <p>The nonce is synthetic (an HMAC of map, key and value, as in SIV modes): sealing is deterministic, so that
 * Hazelcast's compare-and-set operations ({@code replace(k, old, new)}, {@code remove(k, v)}) still compare sealed
 * values, and equal values at the same key are the only thing an observer can tell apart. Sealed form:
 * {@code s1.} followed by base64url of nonce (12 bytes) and ciphertext with its 16-byte tag.
 */
public final class ClusterSeal {

  private static final Logger LOG = LoggerFactory.getLogger(ClusterSeal.class);
  private static final String PREFIX = "s1.";
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final byte[] LABEL = "outpost-cluster-value/v1".getBytes(StandardCharsets.US_ASCII);
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private final SecretKeySpec encryption;
  private final byte[] nonceKey;
  private final MeterRegistry metrics;
  private final Map<String, Counter> rejected = new ConcurrentHashMap<>();

  private ClusterSeal(byte[] valuesKey, MeterRegistry metrics) {
    this.encryption = new SecretKeySpec(ClusterKeys.hmac(valuesKey, bytes("encryption")), "AES");
    this.nonceKey = ClusterKeys.hmac(valuesKey, bytes("nonce"));
    this.metrics = Objects.requireNonNull(metrics);
  }

  /** The seal of a site's values; rejected values are counted in {@code metrics}. */
  public static ClusterSeal create(ClusterKeys keys, MeterRegistry metrics) {
    byte[] values = keys.values();
    try {
      return new ClusterSeal(values, metrics);
    } finally {
      ClusterKeys.wipe(values);
    }
  }

  /** {@code value} sealed for entry {@code key} of map {@code map}. */
  public String seal(String map, String key, String value) {
    byte[] plain = bytes(value);
    byte[] aad = associated(map, key);
    byte[] nonce = Arrays.copyOf(ClusterKeys.hmac(nonceKey, aad, plain), NONCE_BYTES);
    try {
      // a new cipher each time: the JDK refuses to encrypt twice in a row with one IV on one instance, which a
      // deterministic seal of the same value does by design
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, encryption, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad);
      byte[] sealed = cipher.doFinal(plain);
      return PREFIX + ENCODER.encodeToString(ByteBuffer.allocate(NONCE_BYTES + sealed.length).put(nonce).put(sealed)
          .array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /**
   * The value sealed for entry {@code key} of map {@code map}; empty for {@code null}, and for anything that was not
   * sealed there under this site's secret (counted and logged: someone without the secret wrote it).
   */
  public Optional<String> open(String map, String key, String sealed) {
    if (sealed == null) {
      return Optional.empty();
    }
    try {
      if (!sealed.startsWith(PREFIX)) {
        return reject(map, key, "not sealed");
      }
      byte[] raw = DECODER.decode(sealed.substring(PREFIX.length()));
      if (raw.length < NONCE_BYTES + TAG_BITS / 8) {
        return reject(map, key, "too short");
      }
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, encryption, new GCMParameterSpec(TAG_BITS, raw, 0, NONCE_BYTES));
      cipher.updateAAD(associated(map, key));
      return Optional.of(new String(cipher.doFinal(raw, NONCE_BYTES, raw.length - NONCE_BYTES),
          StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return reject(map, key, "not base64");
    } catch (javax.crypto.AEADBadTagException e) {
      return reject(map, key, "sealed under another secret, for another entry, or altered");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** How many values of {@code map} failed to open since start. */
  public double rejected(String map) {
    Counter counter = rejected.get(map);
    return counter == null ? 0 : counter.count();
  }

  private Optional<String> reject(String map, String key, String why) {
    rejected.computeIfAbsent(map, m -> Counter.builder("outpost.cluster.values.rejected")
        .description("Values in a cluster map that did not open under this site's cluster.secret (forged, altered "
            + "or moved): each is treated as absent")
        .tag("map", m).register(metrics)).increment();
    LOG.atWarn().addKeyValue("map", map).log("Ignoring a value in cluster map {} that does not open ({}): it was not "
        + "written by a node of this site", map, why);
    return Optional.empty();
  }

  private static byte[] associated(String map, String key) {
    byte[] m = bytes(map);
    byte[] k = bytes(key);
    return ByteBuffer.allocate(LABEL.length + 8 + m.length + k.length).put(LABEL).putInt(m.length).put(m)
        .putInt(k.length).put(k).array();
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
