package dev.outpost.admin.impl;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.db.StoredSecretsKey;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed checkpoints of the audit chain: now and then the site signs "the chain had this hash at this position at
 * this time" with an Ed25519 key whose private half is kept in the database sealed under the key for stored secrets
 * (like the lease signing keys), so that rewriting the log, even with every hash recomputed, shows. Any node may sign;
 * one checkpoint per position is kept.
 *
 * <p>Signed bytes: {@value #CONTEXT} then the position, the hash in lower-case hex and the time in ISO-8601 UTC, each
 * on a line of its own ({@code outpost-audit-checkpoint/v1\n17\n3f...\n2026-11-05T10:00:00Z}).
 */
public final class AuditCheckpoints {

  private static final Logger LOG = LoggerFactory.getLogger(AuditCheckpoints.class);
  static final String CONTEXT = "outpost-audit-checkpoint/v1";
  private static final String SEAL_PURPOSE = "audit-signing-key:";
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * A signing key as stored: its id, public key (base64url, as stored) and whether its private key is the site's:
   * sealed under the site's key for stored secrets, and the other half of the public key.
   */
  public record KeyView(String keyId, String publicKey, Instant createdAt, boolean held) {

    /** The public key, or empty when the stored one is not an Ed25519 key. */
    public Optional<Ed25519PublicKeyParameters> parsed() {
      return Optional.ofNullable(AuditCheckpoints.publicKey(publicKey));
    }

    public JsonObject toJson() {
      return new JsonObject().put("kid", keyId).put("algorithm", "Ed25519").put("publicKey", publicKey)
          .put("createdAt", createdAt.toString()).put("sealedBySite", held);
    }
  }

  /** One signed checkpoint. */
  public record Checkpoint(long position, byte[] hash, Instant signedAt, String keyId, byte[] signature,
      String node) {

    public JsonObject toJson() {
      return new JsonObject().put("position", position).put("hash", HexFormat.of().formatHex(hash))
          .put("signedAt", signedAt.toString()).put("kid", keyId)
          .put("signature", Base64.getUrlEncoder().withoutPadding().encodeToString(signature)).put("node", node);
    }
  }

  private record SigningKey(String keyId, Ed25519PrivateKeyParameters privateKey) {
  }

  private final Database db;
  private final SecretBox secrets;
  private final Supplier<String> node;
  private final Clock clock;
  private volatile SigningKey active;

  public AuditCheckpoints(Database db, SecretBox secrets, Supplier<String> node, Clock clock) {
    this.db = Objects.requireNonNull(db);
    this.secrets = Objects.requireNonNull(secrets);
    this.node = Objects.requireNonNull(node);
    this.clock = Objects.requireNonNull(clock);
  }

  /** Loads the site's signing key, making the first one when there is none (nodes starting together agree). */
  public Future<Void> start() {
    return load().compose(key -> key.isPresent() ? Future.succeededFuture(key)
            : db.transaction(this::insertKey).compose(v -> load())
                .onSuccess(made -> made.ifPresent(k -> LOG.info("Made the site's audit signing key {}", k.keyId()))))
        .map(key -> {
          active = key.orElseThrow(() -> new IllegalStateException("the audit signing key could not be stored"));
          return null;
        });
  }

  /**
   * Signs the chain's head unless a checkpoint covers it already; the future holds the new checkpoint's position, or
   * empty when there was nothing to sign.
   */
  public Future<Optional<Long>> checkpoint() {
    SigningKey key = active;
    if (key == null) {
      return Future.failedFuture(new IllegalStateException("the audit signing key is not loaded"));
    }
    return db.pool().query("SELECT h.seq, h.hash, (SELECT max(seq) FROM audit_checkpoints) AS signed "
            + "FROM audit_chain_head h").execute()
        .compose(rows -> {
          Row head = rows.iterator().next();
          long position = head.getLong("seq");
          Long signed = head.getLong("signed");
          if (position == 0 || (signed != null && signed >= position)) {
            return Future.succeededFuture(Optional.empty());
          }
          byte[] hash = head.getBuffer("hash").getBytes();
          Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
          byte[] signature = sign(key.privateKey(), signedBytes(position, hash, at));
          return db.pool().preparedQuery("INSERT INTO audit_checkpoints(seq, hash, signed_at, kid, signature, node) "
                  + "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (seq) DO NOTHING")
              .execute(Tuple.of(position, Buffer.buffer(hash), at.atOffset(ZoneOffset.UTC), key.keyId(),
                  Buffer.buffer(signature), node.get()))
              .map(Optional.of(position));
        });
  }

  /** What a checkpoint signs. */
  public static byte[] signedBytes(long position, byte[] hash, Instant signedAt) {
    return (CONTEXT + "\n" + position + "\n" + HexFormat.of().formatHex(hash) + "\n" + signedAt)
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Whether {@code checkpoint} is signed by {@code key}. */
  public static boolean verify(Checkpoint checkpoint, Ed25519PublicKeyParameters key) {
    byte[] message = signedBytes(checkpoint.position(), checkpoint.hash(), checkpoint.signedAt());
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, key);
    verifier.update(message, 0, message.length);
    return checkpoint.signature().length == Ed25519PrivateKeyParameters.SIGNATURE_SIZE
        && verifier.verifySignature(checkpoint.signature());
  }

  /** Every signing key the site has had, with whether its private key is sealed by the site's key. */
  public Future<List<KeyView>> keys() {
    return db.pool().query("SELECT kid, public_key, private_key_enc, created_at FROM audit_signing_keys "
            + "ORDER BY created_at").execute()
        .map(rows -> {
          List<KeyView> keys = new ArrayList<>();
          for (Row row : rows) {
            Ed25519PublicKeyParameters publicKey = publicKey(row.getString("public_key"));
            keys.add(new KeyView(row.getString("kid"), row.getString("public_key"),
                row.getOffsetDateTime("created_at").toInstant(),
                publicKey != null && held(row.getString("kid"), row.getString("private_key_enc"), publicKey)));
          }
          return keys;
        });
  }

  /** The checkpoints, oldest first. */
  public Future<List<Checkpoint>> list() {
    return db.pool().query("SELECT seq, hash, signed_at, kid, signature, node FROM audit_checkpoints ORDER BY seq")
        .execute()
        .map(rows -> {
          List<Checkpoint> checkpoints = new ArrayList<>();
          rows.forEach(row -> checkpoints.add(new Checkpoint(row.getLong("seq"), row.getBuffer("hash").getBytes(),
              row.getOffsetDateTime("signed_at").toInstant(), row.getString("kid"),
              row.getBuffer("signature").getBytes(), row.getString("node"))));
          return checkpoints;
        });
  }

  /** One stored signing key, if any: what the key for stored secrets must open (see {@link StoredSecretsKey}). */
  public static Future<Optional<StoredSecretsKey.Sealed>> sealedSample(SqlConnection conn) {
    return conn.query("SELECT kid, private_key_enc FROM audit_signing_keys LIMIT 1").execute()
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(new StoredSecretsKey.Sealed(SEAL_PURPOSE + row.getString(0), row.getString(1)));
        });
  }

  private Future<Optional<SigningKey>> load() {
    return db.pool().query("SELECT kid, private_key_enc FROM audit_signing_keys WHERE retired_at IS NULL").execute()
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          String kid = row.getString("kid");
          byte[] raw = Base64.getUrlDecoder().decode(secrets.open(SEAL_PURPOSE + kid, row.getString(
              "private_key_enc")));
          return Optional.of(new SigningKey(kid, new Ed25519PrivateKeyParameters(raw)));
        });
  }

  private Future<Void> insertKey(SqlClient sql) {
    Ed25519PrivateKeyParameters privateKey = new Ed25519PrivateKeyParameters(RANDOM);
    Ed25519PublicKeyParameters publicKey = privateKey.generatePublicKey();
    String kid = keyId(publicKey);
    Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
    return sql.preparedQuery("INSERT INTO audit_signing_keys(kid, algorithm, public_key, private_key_enc) "
            + "VALUES ($1, 'Ed25519', $2, $3) ON CONFLICT DO NOTHING")
        .execute(Tuple.of(kid, base64.encodeToString(publicKey.getEncoded()),
            secrets.seal(SEAL_PURPOSE + kid, base64.encodeToString(privateKey.getEncoded()))))
        .mapEmpty();
  }

  /** Whether the sealed private key opens with the site's key and belongs to {@code publicKey}. */
  private boolean held(String kid, String sealed, Ed25519PublicKeyParameters publicKey) {
    try {
      byte[] raw = Base64.getUrlDecoder().decode(secrets.open(SEAL_PURPOSE + kid, sealed));
      return java.util.Arrays.equals(new Ed25519PrivateKeyParameters(raw).generatePublicKey().getEncoded(),
          publicKey.getEncoded()) && kid.equals(keyId(publicKey));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static Ed25519PublicKeyParameters publicKey(String base64) {
    try {
      return new Ed25519PublicKeyParameters(Base64.getUrlDecoder().decode(base64));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The first 16 characters of base64url(SHA-256(public key)), as lease signing keys are named. */
  static String keyId(Ed25519PublicKeyParameters publicKey) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(Fingerprints.sha256(publicKey.getEncoded()))
        .substring(0, 16);
  }

  private static byte[] sign(Ed25519PrivateKeyParameters key, byte[] message) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, key);
    signer.update(message, 0, message.length);
    return signer.generateSignature();
  }
}
