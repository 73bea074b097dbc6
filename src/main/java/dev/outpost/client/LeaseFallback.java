package dev.outpost.client;

import dev.outpost.crypto.PinnedCaTrust;
import dev.outpost.lease.Lease;
import dev.outpost.lease.LeaseProof;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * Launching with the stored connection lease when the store cannot serve a launch: {@code POST
 * /api/v1/lease-launch} at the appliances the lease names, in its order, with a fresh proof signed by the device
 * key. Each appliance is trusted by the CA fingerprint the lease gives for it.
 */
final class LeaseFallback {

  /** A launch made with the lease: the answer, the TLS trust of the appliance that made it, and where it is. */
  record Launched(JsonObject launch, SSLContext tls, URI appliance, Lease lease) {
  }

  private LeaseFallback() {
  }

  /**
   * Launches {@code resource} with the lease stored for this sign-in.
   *
   * @param failure why the store could not launch; part of every message when the lease cannot help either
   */
  static Launched launch(ClientHome home, ClientHome.Login login, String resource, StoreUnavailable failure) {
    LeaseWallet.Stored stored = new LeaseWallet(home).load(login.caSha256(), login.username());
    if (stored == null) {
      throw new ClientFailure(failure.getMessage() + "; no connection lease is stored to fall back on (sign in "
          + "with 'outpost client login' to get one)", failure);
    }
    Lease lease = stored.lease();
    if (!lease.expiresAt().isAfter(Instant.now())) {
      throw new ClientFailure(failure.getMessage() + "; the stored connection lease expired at " + lease.expiresAt(),
          failure);
    }
    if (lease.resource(resource).isEmpty()) {
      throw new ClientFailure(failure.getMessage() + "; the connection lease does not include '" + resource + "'",
          failure);
    }
    DeviceKey device = DeviceKey.load(home);
    if (device == null) {
      throw new ClientFailure(failure.getMessage() + "; the device key the connection lease is bound to is gone",
          failure);
    }
    PrivateKey key = device.privateKey(home);
    List<String> problems = new ArrayList<>();
    for (Lease.Appliance appliance : lease.appliances()) {
      URI url = URI.create(appliance.url());
      if (failure.unreachable() && url.equals(login.appliance())) {
        continue; // just failed to connect there
      }
      SSLContext tls = PinnedCaTrust.of(appliance.caSha256()).sslContext();
      JsonObject body = new JsonObject().put("lease", stored.token()).put("resource", resource)
          .put("proof", LeaseProof.create(lease.id(), resource, Instant.now(), key, device.publicKeyBase64()));
      try {
        return new Launched(new StoreClient(tls, url, null).post("/api/v1/lease-launch", body), tls, url, lease);
      } catch (StoreUnavailable e) {
        problems.add(e.getMessage());
      } catch (ClientFailure e) {
        throw new ClientFailure(failure.getMessage() + "; " + url + " refused the connection lease: " + e.getMessage(),
            e);
      }
    }
    throw new ClientFailure(failure.getMessage() + "; no appliance of the connection lease could launch either"
        + (problems.isEmpty() ? "" : " (" + String.join("; ", problems) + ")"), failure);
  }
}
