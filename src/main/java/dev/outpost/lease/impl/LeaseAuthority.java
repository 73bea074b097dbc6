package dev.outpost.lease.impl;

import dev.outpost.admin.Actor;
import dev.outpost.admin.Auditor;
import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.broker.SiteModel;
import dev.outpost.crypto.SecretBox;
import dev.outpost.db.Database;
import dev.outpost.db.StoredSecretsKey;
import dev.outpost.error.ClientErrorException;
import dev.outpost.lease.Lease;
import dev.outpost.lease.LeaseOperations;
import dev.outpost.lease.Revocation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's lease authority, where the hub role runs (a separate hub, or an all-in-one appliance): keeps the
 * signing keys (private keys sealed in the database), signs leases for appliances' issuing queues, tells
 * appliances which keys and revocations to trust, and takes revocations made on appliances.
 */
public final class LeaseAuthority {

  private static final Logger LOG = LoggerFactory.getLogger(LeaseAuthority.class);
  private static final String SEAL_PURPOSE = "lease-signing-key:";
  /** Largest batch one {@code lease.issue} request may carry. */
  public static final int MAX_BATCH = 200;

  /** A key as the admin API lists it. */
  public record KeyView(String keyId, String algorithm, Instant createdAt, Instant retiredAt, Instant verifyUntil) {
    public JsonObject toJson() {
      return new JsonObject().put("kid", keyId).put("algorithm", algorithm).put("createdAt", createdAt.toString())
          .put("retiredAt", retiredAt == null ? null : retiredAt.toString())
          .put("verifyUntil", verifyUntil == null ? null : verifyUntil.toString())
          .put("state", retiredAt == null ? "active" : "retired");
    }
  }

  private final Vertx vertx;
  private final Database db;
  private final SecretBox secrets;
  private final String site;
  private final Duration validity;
  private final Function<String, Future<SiteModel>> models;
  private final Clock clock;
  private final RevocationStore revocations = new RevocationStore();
  private final Auditor audit = Auditor.log();
  private final AtomicLong signed = new AtomicLong();
  private volatile LeaseSigner signer;
  private volatile List<TrustedKey> trusted = List.of();

  /**
   * @param site the site id leases carry (hex SHA-256 of the hub's CA certificate)
   * @param validity how long a lease is valid (site policy, 1 to 30 days)
   * @param models the current site model of a resource location, for entitlements
   */
  public LeaseAuthority(Vertx vertx, Database db, SecretBox secrets, String site, Duration validity,
      Function<String, Future<SiteModel>> models, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.db = Objects.requireNonNull(db);
    this.secrets = Objects.requireNonNull(secrets);
    this.site = Objects.requireNonNull(site);
    this.validity = Objects.requireNonNull(validity);
    this.models = Objects.requireNonNull(models);
    this.clock = Objects.requireNonNull(clock);
  }

  /** Loads the keys, making the first one on a site that has none. */
  public Future<Void> start() {
    return reload().compose(v -> signer != null ? Future.succeededFuture()
        : db.transaction(this::insertKey).compose(k -> reload())
            .onSuccess(x -> LOG.info("Created the site's first lease signing key {}", signer.keyId())));
  }

  /** How many leases this authority signed since it started; for tests and metrics. */
  public long signedCount() {
    return signed.get();
  }

  public String site() {
    return site;
  }

  /** The handler of a lease operation for an appliance of {@code location}, or {@code null}. */
  public Function<JsonObject, Future<JsonObject>> operation(String location, String node, String op) {
    return switch (op) {
      case LeaseOperations.TRUST -> body -> trust().map(LeaseTrust::toJson);
      case LeaseOperations.ISSUE -> body -> issue(location, body.getJsonArray("items", new JsonArray()));
      case LeaseOperations.REVOKE -> body -> adopt(Revocation.fromJson(body.getJsonObject("revocation")),
          body.getString("node", node)).map(v -> new JsonObject());
      default -> null;
    };
  }

  /** The keys and revocations appliances must honour now. */
  public Future<LeaseTrust> trust() {
    return revocations.relevant(db.pool(), clock.instant())
        .map(list -> new LeaseTrust(site, trusted, list));
  }

  // ---- signing ---------------------------------------------------------------------------------------

  private Future<JsonObject> issue(String location, JsonArray items) {
    if (items.size() > MAX_BATCH) {
      return Future.failedFuture(ClientErrorException.validation("at most " + MAX_BATCH + " leases per request"));
    }
    LeaseSigner current = signer;
    if (current == null) {
      return Future.failedFuture(new IllegalStateException("the lease authority has no signing key yet"));
    }
    return models.apply(location).compose(model -> vertx.executeBlocking(() -> {
      JsonArray results = new JsonArray();
      for (Object item : items) {
        JsonObject request = (JsonObject) item;
        try {
          results.add(new JsonObject().put("key", request.getString("key"))
              .put("lease", current.sign(lease(request, location, model, current.keyId()))));
          signed.incrementAndGet();
        } catch (RuntimeException e) {
          results.add(new JsonObject().put("key", request.getString("key")).put("error", String.valueOf(
              e.getMessage())));
        }
      }
      return new JsonObject().put("items", results);
    }, false));
  }

  /** The lease for one request: the user's entitled resources of the location, valid for the site's policy. */
  Lease lease(JsonObject request, String location, SiteModel model, String keyId) {
    UserRef user = UserRef.fromJson(Objects.requireNonNull(request.getJsonObject("user"), "user"));
    List<Lease.Resource> resources = new ArrayList<>();
    Set<String> groups = new HashSet<>();
    for (SiteModel.Resource r : model.entitledResources(user.id(), user.directoryGroups())) {
      String pool = model.pool(r.poolId()).map(SiteModel.Pool::name).orElse(r.poolId());
      resources.add(new Lease.Resource(r.id(), r.name(), pool, r.kind()));
      for (String group : model.directoryGroupsEntitled().getOrDefault(r.id(), Set.of())) {
        if (user.directoryGroups().contains(group)) {
          groups.add(group);
        }
      }
    }
    List<Lease.Appliance> appliances = request.getJsonArray("appliances", new JsonArray()).stream()
        .map(o -> Lease.Appliance.fromJson((JsonObject) o)).toList();
    JsonObject hub = request.getJsonObject("hub");
    Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    return new Lease(UUID.randomUUID().toString(), site, location, new Lease.User(user.id(), user.username()),
        groups, Objects.requireNonNull(request.getString("device"), "device"), resources, appliances,
        hub == null ? null : Lease.HubGateway.fromJson(hub), now, now.plus(validity), keyId);
  }

  // ---- keys ------------------------------------------------------------------------------------------

  /** Every key that still verifies, newest first. */
  public Future<List<KeyView>> keys() {
    return db.pool().preparedQuery("SELECT kid, algorithm, created_at, retired_at, verify_until "
            + "FROM lease_signing_keys WHERE verify_until IS NULL OR verify_until > $1 ORDER BY created_at DESC")
        .execute(Tuple.of(clock.instant().atOffset(ZoneOffset.UTC)))
        .map(rows -> {
          List<KeyView> views = new ArrayList<>();
          rows.forEach(row -> views.add(new KeyView(row.getString("kid"), row.getString("algorithm"),
              time(row, "created_at"), time(row, "retired_at"), time(row, "verify_until"))));
          return views;
        });
  }

  /**
   * Retires the active key (it keeps verifying until every lease it signed has expired) and makes a new one; in
   * the caller's transaction. Call {@link #reload} after the commit.
   */
  public Future<String> rotate(SqlConnection conn) {
    Instant now = clock.instant();
    return conn.preparedQuery("UPDATE lease_signing_keys SET retired_at = $1, verify_until = $2 "
            + "WHERE retired_at IS NULL")
        .execute(Tuple.of(now.atOffset(ZoneOffset.UTC), now.plus(validity).plus(LeaseTrust.CLOCK_SKEW)
            .atOffset(ZoneOffset.UTC)))
        .compose(v -> insertKey(conn));
  }

  /** One stored signing key, if any: what the key for stored secrets must open (see {@link StoredSecretsKey}). */
  public static Future<Optional<StoredSecretsKey.Sealed>> sealedSample(SqlConnection conn) {
    return conn.query("SELECT kid, private_key_enc FROM lease_signing_keys LIMIT 1").execute()
        .map(rows -> {
          if (rows.size() == 0) {
            return Optional.empty();
          }
          Row row = rows.iterator().next();
          return Optional.of(new StoredSecretsKey.Sealed(SEAL_PURPOSE + row.getString(0), row.getString(1)));
        });
  }

  /** Reads the keys again (after a rotation). */
  public Future<Void> reload() {
    return db.pool().preparedQuery("SELECT kid, public_key, private_key_enc, retired_at, verify_until "
            + "FROM lease_signing_keys WHERE retired_at IS NULL OR verify_until > $1")
        .execute(Tuple.of(clock.instant().atOffset(ZoneOffset.UTC)))
        .map(rows -> {
          List<TrustedKey> keys = new ArrayList<>();
          LeaseSigner active = null;
          for (Row row : rows) {
            String kid = row.getString("kid");
            keys.add(new TrustedKey(kid, new Ed25519PublicKeyParameters(StrictBase64.decode(
                row.getString("public_key"))), time(row, "verify_until")));
            if (row.getValue("retired_at") == null) {
              active = new LeaseSigner(SigningKey.of(new Ed25519PrivateKeyParameters(StrictBase64.decode(
                  secrets.open(SEAL_PURPOSE + kid, row.getString("private_key_enc"))))));
            }
          }
          trusted = List.copyOf(keys);
          signer = active;
          return null;
        });
  }

  private Future<String> insertKey(SqlClient sql) {
    SigningKey key = SigningKey.generate();
    return sql.preparedQuery("INSERT INTO lease_signing_keys(kid, algorithm, public_key, private_key_enc) "
            + "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .execute(Tuple.of(key.keyId(), SigningKey.ALGORITHM, StrictBase64.encode(key.publicKey().getEncoded()),
            secrets.seal(SEAL_PURPOSE + key.keyId(), StrictBase64.encode(key.privateKey().getEncoded()))))
        .map(key.keyId());
  }

  // ---- revocations from appliances ------------------------------------------------------------------

  /** Stores a revocation an appliance made (idempotent by id), with an audit row in the same transaction. */
  private Future<Void> adopt(Revocation revocation, String node) {
    return db.transaction(conn -> revocations.insert(conn, revocation, true)
        .compose(inserted -> !inserted ? Future.succeededFuture()
            : audit.record(conn, new Actor("appliance:" + node, revocation.createdBy(), "tunnel", node),
                "lease-revocation.create", "lease-revocation", revocation.id(), revocation.subject(),
                revocation.toJson().put("via", "appliance " + node))));
  }

  private static Instant time(Row row, String column) {
    var at = row.getOffsetDateTime(column);
    return at == null ? null : at.toInstant();
  }
}
