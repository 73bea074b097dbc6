package dev.outpost.identity;

import dev.outpost.appliance.config.OutpostConfig.IdentityConfig;
import dev.outpost.crypto.PasswordHasher;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.directory.DirectoryAccount;
import dev.outpost.identity.directory.DirectorySignIn;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs users in: throttles, verifies the argon2id hash on a worker thread, and opens a cluster-wide
 * session. Local accounts come first; a name with no local account goes to the location's directories
 * (LDAP/AD), with the same throttle, so lockout and rate limits count local and directory failures alike.
 * Unknown users cost the same hash work as known ones so that timing does not reveal them.
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

  public LoginService(Vertx vertx, AccountDirectory accounts, SessionStore sessions, PasswordHasher hasher,
      IdentityConfig config, MeterRegistry metrics, Clock clock) {
    this(vertx, accounts, DirectorySignIn.none(), sessions, hasher, config, metrics, clock);
  }

  /**
   * @param directories asked for names that have no local account
   */
  public LoginService(Vertx vertx, AccountDirectory accounts, DirectorySignIn directories, SessionStore sessions,
      PasswordHasher hasher, IdentityConfig config, MeterRegistry metrics, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.accounts = Objects.requireNonNull(accounts);
    this.directories = Objects.requireNonNull(directories);
    this.sessions = Objects.requireNonNull(sessions);
    this.hasher = Objects.requireNonNull(hasher);
    this.config = Objects.requireNonNull(config);
    this.clock = Objects.requireNonNull(clock);
    this.throttle = new LoginThrottle(config.maxFailuresPerUser(), config.maxFailuresPerAddress(),
        config.loginWindow(), clock);
    this.succeeded = Counter.builder("outpost_logins_total").tag("result", "success").register(metrics);
    this.failed = Counter.builder("outpost_logins_total").tag("result", "failure").register(metrics);
    this.throttled = Counter.builder("outpost_logins_total").tag("result", "throttled").register(metrics);
  }

  public Future<SignedIn> login(String username, String password, String address) {
    var wait = throttle.blockedFor(username, address);
    if (wait.isPresent()) {
      throttled.increment();
      LOG.atWarn().addKeyValue("user", username).addKeyValue("client", address)
          .log("Sign-in refused: too many failed attempts");
      return Future.failedFuture(ClientErrorException.tooManyRequests(
          "too many failed sign-ins for this user or address; try again in " + Math.max(1, wait.get().toSeconds())
              + " s", wait.get()));
    }
    return accounts.find(username)
        .transform(found -> found.succeeded() && found.result() != null
            ? verify(found.result(), password).map(account -> account == null ? null : Verified.local(account))
            : fromDirectory(username, password, found.failed() ? found.cause() : null))
        .compose(verified -> {
          if (verified == null) {
            throttle.recordFailure(username, address);
            failed.increment();
            LOG.atInfo().addKeyValue("user", username).addKeyValue("client", address).log("Sign-in failed");
            return Future.failedFuture(ClientErrorException.unauthorized(INVALID));
          }
          throttle.recordSuccess(username);
          return open(verified);
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
    return vertx.executeBlocking(() -> hasher.verify(password, real != null ? real : decoy()), false)
        .map(ok -> ok && account != null && account.passwordHash() != null && !account.disabled() ? account : null);
  }

  private Future<SignedIn> open(Verified verified) {
    AccountDirectory.Account account = verified.account();
    String token = SecureTokens.random(32);
    Instant now = clock.instant();
    Principal principal = new Principal(SecureTokens.hash(token), account.id(), account.username(),
        account.displayName(), account.roles(), SecureTokens.random(24), now, now.plus(config.sessionTtl()),
        verified.signIn(), verified.directoryGroups());
    return sessions.put(principal, config.sessionTtl())
        .map(v -> {
          succeeded.increment();
          LOG.atInfo().addKeyValue("user", account.username()).addKeyValue("session", principal.sessionId().substring(0, 12))
              .addKeyValue("signIn", verified.signIn())
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
