package dev.outpost.lease;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.crypto.DeviceKeys;
import dev.outpost.crypto.SecretBox;
import dev.outpost.lease.impl.SigningKey;
import dev.outpost.lease.impl.StrictBase64;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import dev.outpost.testing.Sql;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * What the lease tests do on a test site: device keys, sign-in with one, waiting for the lease, lease launches (also
 * for the tests with separate processes).
 */
public final class LeaseSites {

  private LeaseSites() {
  }

  /** A device's Ed25519 key pair, as the client makes it. */
  public record Device(KeyPair keys) {
    public static Device create() {
      try {
        return new Device(KeyPairGenerator.getInstance("Ed25519").generateKeyPair());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    public String publicKey() {
      return Base64.getEncoder().encodeToString(keys.getPublic().getEncoded());
    }

    public String thumbprint() {
      return DeviceKeys.thumbprint(keys.getPublic().getEncoded());
    }

    public String proof(String leaseId, String resource, Instant at) {
      return LeaseProof.create(leaseId, resource, at, keys.getPrivate(), publicKey());
    }
  }

  /** Signs in with a device key; returns the bearer token. */
  public static String login(SiteClient client, String username, String password, Device device) {
    Response response = client.post("/api/v1/login", null, new JsonObject().put("username", username)
        .put("password", password).put("deviceKey", device.publicKey()).encode());
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    return response.json().getString("token");
  }

  /** Polls GET /api/v1/lease until the lease is issued; returns the answer. */
  public static JsonObject awaitLease(SiteClient client, String token) throws InterruptedException {
    JsonObject[] lease = new JsonObject[1];
    Poll.until("the lease is issued", Duration.ofSeconds(30), () -> {
      Response response = client.get("/api/v1/lease", token);
      assertThat(response.status()).as(response.body()).isIn(200, 202);
      lease[0] = response.status() == 200 ? response.json() : null;
      return lease[0] != null;
    });
    return lease[0];
  }

  public static Response leaseLaunch(SiteClient client, String lease, String resource, String proof) {
    return client.post("/api/v1/lease-launch", null, new JsonObject().put("lease", lease).put("resource", resource)
        .put("proof", proof).encode());
  }

  /** The site's active lease signing key, read as the hub reads it: for forging leases that only differ in one way. */
  static SigningKey siteKey(TestSite site) throws Exception {
    JsonObject row = Sql.rows(site, "SELECT kid, private_key_enc FROM lease_signing_keys WHERE retired_at IS NULL")
        .get(0);
    SecretBox secrets = SecretBox.loadOrCreate(site.dataDir().resolve("secrets").resolve("directory.key"));
    return SigningKey.of(new Ed25519PrivateKeyParameters(StrictBase64.decode(secrets.open("lease-signing-key:"
        + row.getString("kid"), row.getString("private_key_enc")))));
  }

  /** A pool "linux" with resources shell (ssh, port 22) and web (app, port 80), served by one registered host. */
  static void publish(TestSite site, String admin) throws Exception {
    SiteClient client = site.client();
    String poolId = client.post("/admin/api/v1/pools", admin,
        "{\"name\":\"linux\",\"maxSessionsPerHost\":1000}").created().getString("id");
    client.post("/admin/api/v1/resources", admin, "{\"name\":\"shell\",\"pool\":\"linux\",\"kind\":\"desktop\","
        + "\"port\":22,\"launchHint\":\"ssh\"}").created();
    client.post("/admin/api/v1/resources", admin, "{\"name\":\"web\",\"pool\":\"linux\",\"kind\":\"app\","
        + "\"port\":80}").created();
    UUID hostId = UUID.randomUUID();
    Sql.update(site, "INSERT INTO hosts(id, name, pool_id, address, certificate_sha256) VALUES ($1, $2, $3, $4, $5)",
        hostId, "host-1", UUID.fromString(poolId), "127.0.0.1", "test-" + hostId);
    site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "host-1", poolId, "127.0.0.1", "node",
        Map.of(22, true, 80, true), 0.1, List.of())).toCompletionStage().toCompletableFuture().get(30,
        TimeUnit.SECONDS);
  }

  static void user(TestSite site, String admin, String name, String password, String... resources) {
    site.client().post("/admin/api/v1/users", admin, new JsonObject().put("username", name)
        .put("password", password).encode()).created();
    for (String resource : resources) {
      site.client().post("/admin/api/v1/entitlements", admin, new JsonObject().put("resource", resource)
          .put("user", name).encode()).created();
    }
  }
}
