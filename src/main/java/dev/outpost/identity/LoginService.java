package dev.outpost.identity;

import dev.outpost.crypto.PasswordHasher;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.identity.directory.DirectoryAccount;
import dev.outpost.identity.directory.DirectorySignIn;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs users in: throttles (an attempt is counted before its password is checked, see {@link LoginThrottle}),
 * verifies the argon2id hash on a worker thread, and opens a cluster-wide session. Local accounts come first; a
 * name with no local account goes to the location's directories (LDAP/AD), with the same throttle, so lockout and
 * rate limits count local and directory failures alike. Unknown users cost the same hash work as known ones so
 * that timing does not reveal them.
 */
public final class LoginService {

  private static final Logger LOG = LoggerFactory.getLogger(LoginService.class);
  private static final String INVALID = "invalid user name or password";

  /** A successful sign-in: the bearer token is shown once, only its hash is stored. */
  public record SignedIn(String token, Principal principal) {
  }

  private final Vertx vertx;
  private final AccountDirectory accounts;
  private final DirectorySignIn directories;
  private final SessionStore sessions;
  private final LoginThrottle throttle;
  private final PasswordHasher hasher;
  private final IdentityConfig config;
  private final Clock clock;
  /** Verified instead of a real hash for unknown users; made on first use, on a worker thread. */
  private volatile String decoyHash;
  private final Counter succeeded;
  private final Counter failed;
  private final Counter throttled;
  private final Counter passwordChecks;

  /**
   * @param attempts where failed sign-ins are counted: the cluster's counters on an appliance, so that the limits
   *     hold for the whole site
   */
  public LoginService(Vertx vertx, AccountDirectory accounts, SessionStore sessions, AttemptCounters attempts,
      PasswordHasher hasher, IdentityConfig config, MeterRegistry metrics, Clock clock) {
    this(vertx, accounts, DirectorySignIn.none(), sessions, attempts, hasher, config, metrics, clock);
  }

  /**
   * @param directories asked for names that have no local account
   * @param attempts where failed sign-ins are counted (see above)
   */
  public LoginService(Vertx vertx, AccountDirectory accounts, DirectorySignIn directories, SessionStore sessions,
      AttemptCounters attempts, PasswordHasher hasher, IdentityConfig config, MeterRegistry metrics, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.accounts = Objects.requireNonNull(accounts);
    this.directories = Objects.requireNonNull(directories);
    this.sessions = Objects.requireNonNull(sessions);
    this.hasher = Objects.requireNonNull(hasher);
    this.config = Objects.requireNonNull(config);
    this.clock = Objects.requireNonNull(clock);
    this.throttle = new LoginThrottle(attempts, config.maxFailuresPerUser(), config.maxFailuresPerAddress(),
        config.loginWindow());
    this.succeeded = Counter.builder("outpost_logins_total").tag("result", "success").register(metrics);
    this.failed = Counter.builder("outpost_logins_total").tag("result", "failure").register(metrics);
    this.throttled = Counter.builder("outpost_logins_total").tag("result", "throttled").register(metrics);
    this.passwordChecks = Counter.builder("outpost_login_password_checks_total")
        .description("argon2id password verifications run by sign-ins on this node").register(metrics);
  }

  public Future<SignedIn> login(String username, String password, String address) {
    return login(username, password, address, null);
  }

  /**
   * @param device thumbprint of the device key the client sent, kept in the session for its connection lease;
   *     {@code null} for none
   */
  public Future<SignedIn> login(String username, String password, String address, String device) {
    return throttle.reserve(username, address)
        .recover(e -> Future.failedFuture(ServerErrorException.unavailable(
            "sign-in is unavailable: the site's failed sign-in counts cannot be reached; try again", e)))
        .compose(attempt -> attempt.refusedFor().isPresent() ? refuse(username, address, attempt)
            : check(username, password, address, attempt).compose(verified -> open(verified, device)));
  }

  private Future<SignedIn> refuse(String username, String address, LoginThrottle.Attempt attempt) {
    Duration wait = attempt.refusedFor().orElseThrow();
    throttled.increment();
    LOG.atWarn().addKeyValue("user", username).addKeyValue("client", address)
        .log("Sign-in refused: too many failed attempts");
    return Future.failedFuture(ClientErrorException.tooManyRequests("too many failed sign-ins for this user or "
        + "address; try again in " + Math.max(1, wait.toSeconds()) + " s", wait));
  }

  /**
   * Checks the password of an attempt that holds its slots, and settles them: a wrong password keeps them, a right
   * one frees them, and an error (no verdict) gives them back.
   */
  private Future<Verified> check(String username, String password, String address, LoginThrottle.Attempt attempt) {
    return accounts.find(username)
        .transform(found -> found.succeeded() && found.result() != null
            ? verify(found.result(), password).map(account -> account == null ? null : Verified.local(account))
            : fromDirectory(username, password, found.failed() ? found.cause() : null))
        .transform(checked -> {
          if (checked.failed()) {
            // no verdict (accounts or directory out of reach): an outage must not lock users out by their retries
            return attempt.withdrawn().transform(v -> Future.failedFuture(checked.cause()));
          }
          if (checked.result() == null) {
            failed.increment();
            LOG.atInfo().addKeyValue("user", username).addKeyValue("client", address).log("Sign-in failed");
            return attempt.failed().transform(v -> Future.failedFuture(ClientErrorException.unauthorized(INVALID)));
          }
          return attempt.succeeded()
              .onFailure(e -> LOG.warn("A sign-in of {} did not clear its failed attempts: {}", username,
                  e.getMessage()))
              .transform(v -> Future.succeededFuture(checked.result()));
        });
  }

  /** Who signed in, and how their password was checked. */
  private record Verified(AccountDirectory.Account account, String signIn, Set<String> directoryGroups) {
    static Verified local(AccountDirectory.Account account) {
      return new Verified(account, Principal.LOCAL, Set.of());
    }
  }

  /**
   * A name with no local account: the directories decide. When none is configured, the answer is "unknown user"
   * after the same hash work as for a known one, or the local lookup's own failure (e.g. the hub is unreachable).
   */
  private Future<Verified> fromDirectory(String username, String password, Throwable localFailure) {
    return directories.authenticate(username, password).compose(result -> {
      if (result.consulted()) {
        DirectoryAccount found = result.account();
        return Future.succeededFuture(found == null ? null : new Verified(new AccountDirectory.Account(found.id(),
            found.username(), found.displayName(), null, EnumSet.of(Role.USER), false),
            found.offline() ? Principal.OFFLINE : Principal.DIRECTORY, found.groups()));
      }
      if (localFailure != null) {
        return Future.failedFuture(localFailure);
      }
      return verify(null, password).map(none -> (Verified) null);
    });
  }

  private String decoy() {
    String decoy = decoyHash;
    if (decoy == null) {
      decoy = hasher.hash(SecureTokens.random(16));
      decoyHash = decoy;
    }
    return decoy;
  }

  /** The account when the password matches and the account may sign in, else {@code null}. */
  private Future<AccountDirectory.Account> verify(AccountDirectory.Account account, String password) {
    String real = account == null ? null : account.passwordHash();
    return vertx.executeBlocking(() -> {
      passwordChecks.increment();
      return hasher.verify(password, real != null ? real : decoy());
    }, false)
        .map(ok -> ok && account != null && account.passwordHash() != null && !account.disabled() ? account : null);
  }

  private Future<SignedIn> open(Verified verified, String device) {
    AccountDirectory.Account account = verified.account();
    String token = SecureTokens.random(32);
    Instant now = clock.instant();
    Principal principal = new Principal(SecureTokens.hash(token), account.id(), account.username(),
        account.displayName(), account.roles(), SecureTokens.random(24), now, now.plus(config.sessionTtl()),
        verified.signIn(), verified.directoryGroups(), device);
    return sessions.put(principal, config.sessionTtl())
        .map(v -> {
          succeeded.increment();
          LOG.atInfo().addKeyValue("user", account.username())
              .addKeyValue("session", principal.sessionId().substring(0, 12)).addKeyValue("signIn", verified.signIn())
              .log(Principal.OFFLINE.equals(verified.signIn()) ? "Signed in (offline sign-in: directory unreachable)"
                  : "Signed in");
          return new SignedIn(token, principal);
        });
  }

  public Future<Void> logout(Principal principal) {
    return sessions.remove(principal.sessionId())
        .onSuccess(v -> LOG.atInfo().addKeyValue("user", principal.username())
            .addKeyValue("session", principal.sessionId().substring(0, 12)).log("Signed out"));
  }

  /** Signs the user out everywhere (account disabled, deleted, demoted or given a new password). */
  public Future<Void> revokeUser(String userId) {
    return sessions.revokeUser(userId)
        .onSuccess(v -> LOG.atInfo().addKeyValue("userId", userId).log("Ended the user's sessions"));
  }

  /** The session for a presented bearer token, or {@code null}. */
  public Future<Principal> authenticate(String token) {
    if (token == null || token.isEmpty() || token.length() > 256) {
      return Future.succeededFuture(null);
    }
    return sessions.find(SecureTokens.hash(token));
  }
}
