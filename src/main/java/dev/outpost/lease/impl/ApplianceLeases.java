package dev.outpost.lease.impl;

import dev.outpost.broker.BrokerModels.UserRef;
import dev.outpost.cluster.ClusterFutures;
import dev.outpost.cluster.SealedMap;
import dev.outpost.db.Database;
import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.AccountDirectory;
import dev.outpost.identity.Principal;
import dev.outpost.lease.Lease;
import dev.outpost.lease.LeaseProof;
import dev.outpost.lease.LeaseRejected;
import dev.outpost.lease.LeaseRejected.Reason;
import dev.outpost.lease.LeaseService;
import dev.outpost.lease.Revocation;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An appliance's {@link LeaseService}: the issuing queue, the trust cache and the cluster-wide replay guard. */
public final class ApplianceLeases implements LeaseService {

  private static final Logger LOG = LoggerFactory.getLogger(ApplianceLeases.class);
  /** Lease id and proof nonce -> first use, for as long as a proof can be fresh. */
  public static final String PROOFS_MAP = "outpost.lease.proofs";
  /** What the user of a disabled account reads when their lease is refused. */
  static final String ACCOUNT_DISABLED = "your account is disabled; ask your administrator";
  /** Most appliances a lease names. */
  static final int MAX_APPLIANCES = 8;

  private final Vertx vertx;
  private final LeaseIssuer issuer;
  private final LeaseTrustCache trust;
  private final ApplianceRoster roster;
  private final SealedMap proofs;
  private final Database db;
  private final AccountDirectory accounts;
  private final RevocationOutbox outbox;
  private final String location;
  private final Lease.HubGateway hub;
  private final Duration proofWindow;
  private final Clock clock;
  private final RevocationStore revocations = new RevocationStore();

  /**
   * @param db where revocations made at sign-out are kept
   * @param accounts the local accounts as this node knows them (all-in-one: the database, else the local host
   *     cache's copy): a lease of an account that is disabled there is refused, whatever the revocations say
   * @param outbox where those revocations wait for the site's lease authority
   * @param hub the hub's rendezvous gateway for leases, or {@code null}
   * @param proofWindow how far a proof's time may be from this node's
   */
  public ApplianceLeases(Vertx vertx, LeaseIssuer issuer, LeaseTrustCache trust, ApplianceRoster roster,
      SealedMap proofs, Database db, AccountDirectory accounts, RevocationOutbox outbox,
      String location, Lease.HubGateway hub, Duration proofWindow, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.issuer = Objects.requireNonNull(issuer);
    this.trust = Objects.requireNonNull(trust);
    this.roster = Objects.requireNonNull(roster);
    this.proofs = Objects.requireNonNull(proofs);
    this.db = Objects.requireNonNull(db);
    this.accounts = Objects.requireNonNull(accounts);
    this.outbox = Objects.requireNonNull(outbox);
    this.location = Objects.requireNonNull(location);
    this.hub = hub;
    this.proofWindow = Objects.requireNonNull(proofWindow);
    this.clock = Objects.requireNonNull(clock);
  }

  @Override
  public void signedIn(Principal principal, Lease.Appliance here) {
    if (principal.device() != null) {
      issuer.request(request(principal, here));
    }
  }

  @Override
  public Future<Current> current(Principal principal, Lease.Appliance here) {
    if (principal.device() == null) {
      // a web store's session: the lease of the user's endpoint client, without the token only that device can use
      return issuer.latestOf(principal.userId()).compose(issued -> issued == null
          ? Future.failedFuture(ClientErrorException.notFound("you have no connection lease: sign in with the "
              + "Outpost client to get one"))
          : Future.succeededFuture(new Current(null, issued.lease())));
    }
    String key = IssueRequest.key(principal.userId(), principal.device());
    return issuer.issued(key).compose(issued -> {
      if (issued != null) {
        return Future.succeededFuture(new Current(issued.token(), issued.lease()));
      }
      return issuer.queued(key).compose(queued -> queued ? Future.succeededFuture()
          : issuer.enqueue(request(principal, here))).map((Current) null);
    });
  }

  @Override
  public Future<Void> signedOut(Principal principal) {
    if (principal.device() == null) {
      return Future.succeededFuture();
    }
    Revocation revocation = Revocation.of(Revocation.Kind.DEVICE, principal.device(), principal.userId(),
        clock.instant(), "signed out", principal.username());
    Future<Void> stored = db.transaction(conn -> revocations.insert(conn, revocation, outbox.storedAsForwarded()))
        .<Void>mapEmpty()
        .recover(e -> {
          LOG.warn("The sign-out of {} voids their device's leases on this cluster only: the database did not take "
              + "it ({})", principal.username(), e.getMessage());
          return Future.succeededFuture();
        });
    return Future.all(trust.publish(revocation), stored,
        issuer.forget(IssueRequest.key(principal.userId(), principal.device()))).mapEmpty();
  }

  @Override
  public Future<Admitted> admit(String leaseToken, String resource, String proofToken) {
    String keyId;
    try {
      keyId = Lease.read(leaseToken).keyId();
    } catch (IllegalArgumentException e) {
      keyId = "";
    }
    return trust.trustFor(keyId).compose(trusted -> {
      Lease lease;
      String nonce;
      try {
        lease = trusted.verify(leaseToken, clock.instant());
        nonce = proven(lease, resource, proofToken);
      } catch (LeaseRejected e) {
        return Future.failedFuture(e);
      }
      return requireEnabled(lease)
          .compose(v -> {
            try {
              return Future.succeededFuture(granted(trusted, lease, resource));
            } catch (LeaseRejected e) {
              return Future.failedFuture(e);
            }
          })
          .compose(admitted -> useOnce(admitted, nonce));
    });
  }

  /**
   * The proof's checks: made with the device key the lease is bound to, for this lease and resource, and fresh.
   * Returns its nonce; throws {@link LeaseRejected} at the first check that fails.
   */
  private String proven(Lease lease, String resource, String proofToken) {
    Instant now = clock.instant();
    LeaseProof.Verified verified = LeaseProof.verify(proofToken);
    LeaseProof proof = verified.proof();
    if (!verified.thumbprint().equals(lease.device())) {
      throw new LeaseRejected(Reason.PROOF,
          "the proof is signed with another device key than the one the lease is bound to");
    }
    if (!proof.leaseId().equals(lease.id()) || !proof.resource().equals(resource)) {
      throw new LeaseRejected(Reason.PROOF, "the proof was made for another lease or resource");
    }
    if (Duration.between(proof.issuedAt(), now).abs().compareTo(proofWindow) > 0) {
      throw new LeaseRejected(Reason.STALE_PROOF, "the proof is not fresh: it was made at " + proof.issuedAt()
          + ", this appliance's time is " + now + " (allowed: ±" + proofWindow.toSeconds() + " s)");
    }
    return proof.nonce();
  }

  /**
   * Refuses the lease of an account that is disabled: the second line behind the revocation that disabling it
   * made, for a node that has the account's new state but not that revocation, and the reason its user reads
   * first. A directory user (no local account), or an account this node cannot look up now, is left to the
   * revocations.
   */
  private Future<Void> requireEnabled(Lease lease) {
    return accounts.find(lease.user().name())
        .recover(e -> {
          LOG.debug("Lease launch: the account of {} cannot be looked up ({}); the revocations decide",
              lease.user().name(), e.getMessage());
          return Future.succeededFuture();
        })
        .compose(account -> account != null && account.id().equals(lease.user().id()) && account.disabled()
            ? Future.failedFuture(new LeaseRejected(Reason.DISABLED, ACCOUNT_DISABLED)) : Future.succeededFuture());
  }

  /** Not revoked, for this location, naming the resource; throws {@link LeaseRejected} at the first that fails. */
  private Admitted granted(LeaseTrust trusted, Lease lease, String resource) {
    var revoked = trusted.revoked(lease);
    if (revoked.isPresent()) {
      throw new LeaseRejected(Reason.REVOKED, revoked.get().describe());
    }
    if (!location.equals(lease.location())) {
      throw new LeaseRejected(Reason.LOCATION, "the lease is for location " + lease.location()
          + "; this appliance serves " + location);
    }
    Lease.Resource named = lease.resource(resource).orElseThrow(() -> new LeaseRejected(Reason.RESOURCE,
        "the lease does not include '" + resource + "'"));
    return new Admitted(lease, named);
  }

  /** Single use, cluster-wide: the first to store the proof's nonce wins. */
  private Future<Admitted> useOnce(Admitted admitted, String nonce) {
    return ClusterFutures.on(vertx.getOrCreateContext(), proofs.putAsync(admitted.lease().id() + ":" + nonce,
            clock.instant().toString(), proofWindow.toMillis() * 2 + 1_000, TimeUnit.MILLISECONDS))
        .compose(previous -> previous == null ? Future.succeededFuture(admitted)
            : Future.failedFuture(new LeaseRejected(Reason.REPLAY,
                "the proof was used before (a replay); make a new one")));
  }

  private IssueRequest request(Principal principal, Lease.Appliance here) {
    List<Lease.Appliance> appliances = new ArrayList<>();
    appliances.add(here);
    for (Lease.Appliance other : roster.appliances()) {
      if (appliances.size() < MAX_APPLIANCES && appliances.stream().noneMatch(a -> a.url().equals(other.url()))) {
        appliances.add(other);
      }
    }
    return new IssueRequest(IssueRequest.key(principal.userId(), principal.device()), new UserRef(principal.userId(),
        principal.username(), principal.directoryGroups()), principal.device(), appliances, hub);
  }
}
