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
 * verifies the argon2id hash on a worker thread, asks an account that enrolled an authenticator app for its second
 * factor, and opens a cluster-wide session. Local accounts come first; a name with no local account goes to the
 * location's directories (LDAP/AD), with the same throttle, so lockout and rate limits count local and directory
 * failures alike. Wrong second-factor codes count in the same limits as wrong passwords, and a right password alone
 * clears nothing while a code is still owed. Unknown users cost the same hash work as known ones so that timing does
 * not reveal them. Bearer secrets that are API tokens are checked by {@link ApiTokens}, never as sessions.
 */
public final class LoginService {

  private static final Logger LOG = LoggerFactory.getLogger(LoginService.class);
  private static final String INVALID = "invalid user name or password";
  /** How long a sign-in waits for its second factor. */
  static final Duration SECOND_FACTOR_WAIT = Duration.ofMinutes(5);
  /** Session store keys of sign-ins waiting for their second factor: no bearer token is ever looked up there. */
  private static final String PENDING_KEY = "second-factor:";
  /**
   * Session store keys and token prefix of sessions that may only enrol a second factor: a node of an earlier version,
   * which knows no restriction, looks their tokens up under another key and does not find them.
   */
  private static final String RESTRICTED_KEY = "restricted:";
  private static final String RESTRICTED_TOKEN = "r.";

  /**
   * A successful sign-in: the bearer token is shown once, only its hash is stored.
   *
   * @param rememberedDevice a grant to skip the second factor on this device, when one was asked for; else null
   */
  public record SignedIn(String token, Principal principal, String rememberedDevice) {
    public SignedIn(String token, Principal principal) {
      this(token, principal, null);
    }
  }

  /**
   * What a sign-in presents for its second factor, besides the password.
   *
   * @param code a code of the authenticator app or a recovery code, or {@code null}
   * @param deviceKey the device's public key as in {@code deviceKey}, for {@code rememberedDevice}
   * @param deviceProof the device's signature that it holds that key ({@link RememberedDevices#proofInput})
   * @param rememberedDevice a grant from an earlier sign-in on this device
   * @param rememberDevice whether to make such a grant once the code is right
   */
  public record SecondStep(String code, String deviceKey, String deviceProof, String rememberedDevice,
      boolean rememberDevice) {
    public static final SecondStep NONE = new SecondStep(null, null, null, null, false);
  }

  /** What sign-in needs besides passwords: second factors, remembered devices, API tokens. */
  public record Factors(SecondFactorCheck check, RememberedDevices devices, ApiTokens tokens) {
    public Factors {
      Objects.requireNonNull(check);
      Objects.requireNonNull(devices);
      Objects.requireNonNull(tokens);
    }
  }

  private final Vertx vertx;
  private final AccountDirectory accounts;
  private final DirectorySignIn directories;
  private final SessionStore sessions;
  private final LoginThrottle throttle;
  private final PasswordHasher hasher;
  private final IdentityConfig config;
  private final Clock clock;
  private final Factors factors;
  /** Verified instead of a real hash for unknown users; made on first use, on a worker thread. */
  private volatile String decoyHash;
  private final Counter succeeded;
  private final Counter failed;
  private final Counter throttled;
  private final Counter secondFactorAsked;
  private final Counter passwordChecks;

  /**
   * @param directories asked for names that have no local account ({@link DirectorySignIn#none()} for none)
   * @param attempts where failed sign-ins are counted: the cluster's counters on an appliance, so that the limits
   *     hold for the whole site
   */
  public LoginService(Vertx vertx, AccountDirectory accounts, DirectorySignIn directories, SessionStore sessions,
      AttemptCounters attempts, PasswordHasher hasher, IdentityConfig config, MeterRegistry metrics, Clock clock,
      Factors factors) {
    this.vertx = Objects.requireNonNull(vertx);
    this.accounts = Objects.requireNonNull(accounts);
    this.directories = Objects.requireNonNull(directories);
    this.sessions = Objects.requireNonNull(sessions);
    this.hasher = Objects.requireNonNull(hasher);
    this.config = Objects.requireNonNull(config);
    this.clock = Objects.requireNonNull(clock);
    this.factors = Objects.requireNonNull(factors);
    this.throttle = new LoginThrottle(attempts, config.maxFailuresPerUser(), config.maxFailuresPerAddress(),
        config.loginWindow());
    this.succeeded = Counter.builder("outpost_logins_total").tag("result", "success").register(metrics);
    this.failed = Counter.builder("outpost_logins_total").tag("result", "failure").register(metrics);
    this.throttled = Counter.builder("outpost_logins_total").tag("result", "throttled").register(metrics);
    this.secondFactorAsked = Counter.builder("outpost_logins_total").tag("result", "second-factor-asked")
        .register(metrics);
    this.passwordChecks = Counter.builder("outpost_login_password_checks_total")
        .description("argon2id password verifications run by sign-ins on this node").register(metrics);
  }

  public Future<SignedIn> login(String username, String password, String address) {
    return login(username, password, address, null, SecondStep.NONE);
  }

  /**
   * Signs in with a password and, for an account with a second factor, what {@code step} presents: without a code or
   * a remembered device that admits it, fails with {@link SecondFactorRequired}, whose token
   * {@link #completeSignIn} takes with the code.
   *
   * @param device thumbprint of the device key the client sent, kept in the session for its connection lease;
   *     {@code null} for none
   */
  public Future<SignedIn> login(String username, String password, String address, String device, SecondStep step) {
    return reserve(username, address)
        .compose(attempt -> attempt.refusedFor().isPresent() ? refuse(username, address, attempt)
            : check(username, password, address, attempt)
                .compose(verified -> admit(verified, step, address, device, attempt)));
  }

  /**
   * The second step of a sign-in that {@link SecondFactorRequired} stopped: its token and a code. Counted like a
   * password: a wrong code is a failed attempt of the user and the address.
   *
   * @param device the thumbprint of a device key sent now (for a remembered device), or {@code null} to keep the one
   *     of the first step
   */
  public Future<SignedIn> completeSignIn(String pendingToken, String code, String address, String device,
      boolean rememberDevice) {
    if (pendingToken == null || pendingToken.length() > 256) {
      return Future.failedFuture(pendingExpired());
    }
    return sessions.find(PENDING_KEY + SecureTokens.hash(pendingToken)).compose(pending -> {
      if (pending == null) {
        return Future.failedFuture(pendingExpired());
      }
      return reserve(pending.username(), address).compose(attempt -> attempt.refusedFor().isPresent()
          ? refuse(pending.username(), address, attempt)
          : current(pending, attempt).compose(account -> secondFactor(account, code, address, attempt)
              .compose(method -> sessions.remove(pending.sessionId())
                  .compose(v -> open(new Verified(account, pending.signIn(), pending.directoryGroups()),
                      device != null ? device : pending.device(), method, null, rememberDevice)))));
    });
  }

  /**
   * Checks a second factor outside sign-in (to change an enrolment), throttled and counted like a sign-in.
   *
   * @return how it was proven ({@link Principal#TOTP} or {@link Principal#RECOVERY_CODE}); fails with 401 when wrong
   */
  public Future<String> checkSecondFactor(AccountDirectory.Account account, String code, String address) {
    return reserve(account.username(), address).compose(attempt -> attempt.refusedFor().isPresent()
        ? refuse(account.username(), address, attempt) : secondFactor(account, code, address, attempt));
  }

  /**
   * Checks the first code of an authenticator secret being enrolled, throttled like a sign-in; fails with 401 when
   * it is not that secret's current code.
   */
  public Future<Void> checkEnrolmentCode(AccountDirectory.Account account, String secret, String code,
      String address) {
    return reserve(account.username(), address).compose(attempt -> attempt.refusedFor().isPresent()
        ? refuse(account.username(), address, attempt)
        : factors.check().totp(account.id(), secret, code == null ? "" : code.strip())
            .transform(ar -> settle(ar.failed() ? ar.cause() : null, ar.succeeded() && ar.result() ? "" : null,
                account.username(), address, attempt))
            .mapEmpty());
  }

  /**
   * Turns a session that could only enrol into a full one once the account proved its new factor: a new token
   * (answered once), and the old session ends.
   */
  public Future<SignedIn> completeEnrolment(Principal restricted, AccountDirectory.Account account) {
    return open(new Verified(account, restricted.signIn(), restricted.directoryGroups()), restricted.device(),
        Principal.TOTP, null, false)
        .compose(signedIn -> sessions.remove(restricted.sessionId()).map(signedIn));
  }

  /** Whether devices may be remembered, and for how long. */
  public RememberedDevices devices() {
    return factors.devices();
  }

  /** Where second factors are enrolled and changed. */
  public SecondFactors secondFactors() {
    return factors.check().store();
  }

  /** The account as sign-in finds it now (with its second factor), or {@code null}. */
  public Future<AccountDirectory.Account> account(String username) {
    return accounts.find(username);
  }

  private Future<LoginThrottle.Attempt> reserve(String username, String address) {
    return throttle.reserve(username, address)
        .recover(e -> Future.failedFuture(ServerErrorException.unavailable(
            "sign-in is unavailable: the site's failed sign-in counts cannot be reached; try again", e)));
  }

  /**
   * After a right password: an account without a second factor is in (or, when its group requires one, in a session
   * that may only enrol); one with a factor is in with a remembered device or a right code, else is asked for one.
   * The user's failures are cleared only once nothing is owed.
   */
  private Future<SignedIn> admit(Verified verified, SecondStep step, String address, String device,
      LoginThrottle.Attempt attempt) {
    AccountDirectory.Account account = verified.account();
    if (!account.secondFactor().enrolled()) {
      String restriction = account.secondFactorRequired() ? Principal.ENROL_SECOND_FACTOR : null;
      return succeeded(attempt, account.username()).compose(v -> open(verified, device, null, restriction, false));
    }
    return factors.devices().admits(account, step.rememberedDevice(), step.deviceKey(), step.deviceProof())
        .recover(e -> Future.succeededFuture(false))
        .compose(remembered -> {
          if (remembered) {
            return succeeded(attempt, account.username())
                .compose(v -> open(verified, device, Principal.REMEMBERED_DEVICE, null, false));
          }
          if (step.code() == null) {
            // the password was right but proves nothing alone: its slots go back, the user's failures stay
            return attempt.withdrawn().compose(v -> challenge(verified, device));
          }
          return secondFactor(account, step.code(), address, attempt)
              .compose(method -> open(verified, device, method, null, step.rememberDevice()));
        });
  }

  /** Checks a code of an attempt that holds its slots, and settles them as a password check would. */
  private Future<String> secondFactor(AccountDirectory.Account account, String code, String address,
      LoginThrottle.Attempt attempt) {
    return factors.check().check(account, code)
        .transform(ar -> settle(ar.failed() ? ar.cause() : null, ar.succeeded() ? ar.result() : null,
            account.username(), address, attempt));
  }

  /** An error gives the slots back; no method is a wrong code, which counts; a method clears the user's failures. */
  private Future<String> settle(Throwable error, String method, String username, String address,
      LoginThrottle.Attempt attempt) {
    if (error != null) {
      return attempt.withdrawn().transform(v -> Future.failedFuture(error));
    }
    if (method == null) {
      failed.increment();
      LOG.atInfo().addKeyValue("user", username).addKeyValue("client", address).log("Second factor refused");
      return attempt.failed().transform(v -> Future.failedFuture(SecondFactorCheck.wrongCode()));
    }
    return succeeded(attempt, username).map(method);
  }

  private Future<Void> succeeded(LoginThrottle.Attempt attempt, String username) {
    return attempt.succeeded()
        .onFailure(e -> LOG.warn("A sign-in of {} did not clear its failed attempts: {}", username, e.getMessage()))
        .recover(e -> Future.succeededFuture());
  }

  /** The account of a waiting sign-in as it is now: gone, disabled or changed means the sign-in is over. */
  private Future<AccountDirectory.Account> current(Principal pending, LoginThrottle.Attempt attempt) {
    return accounts.find(pending.username())
        .transform(found -> {
          if (found.failed()) {
            return attempt.withdrawn().transform(v -> Future.failedFuture(found.cause()));
          }
          AccountDirectory.Account account = found.result();
          if (account == null || !account.id().equals(pending.userId()) || account.disabled()) {
            return attempt.withdrawn().transform(v -> Future.failedFuture(pendingExpired()));
          }
          return Future.succeededFuture(account);
        });
  }

  /** Keeps the sign-in waiting for its second factor, under a token the caller answers with the code. */
  private Future<SignedIn> challenge(Verified verified, String device) {
    AccountDirectory.Account account = verified.account();
    String token = "sf." + SecureTokens.random(32);
    Instant now = clock.instant();
    Instant expires = now.plus(SECOND_FACTOR_WAIT);
    Principal pending = new Principal(PENDING_KEY + SecureTokens.hash(token), account.id(), account.username(),
        account.displayName(), account.roles(), null, now, expires, verified.signIn(), verified.directoryGroups(),
        device, null, "second-factor-pending", null);
    secondFactorAsked.increment();
    return sessions.put(pending, SECOND_FACTOR_WAIT)
        .compose(v -> Future.failedFuture(new SecondFactorRequired(token, expires)));
  }

  private static ClientErrorException pendingExpired() {
    return ClientErrorException.unauthorized("this sign-in waited too long for its second factor ("
        + SECOND_FACTOR_WAIT.toMinutes() + " minutes), or was completed already; sign in again");
  }

  private <T> Future<T> refuse(String username, String address, LoginThrottle.Attempt attempt) {
    Duration wait = attempt.refusedFor().orElseThrow();
    throttled.increment();
    LOG.atWarn().addKeyValue("user", username).addKeyValue("client", address)
        .log("Sign-in refused: too many failed attempts");
    return Future.failedFuture(ClientErrorException.tooManyRequests("too many failed sign-ins for this user or "
        + "address; try again in " + Math.max(1, wait.toSeconds()) + " s", wait));
  }

  /**
   * Checks the password of an attempt that holds its slots: a wrong password settles them (they count), an error (no
   * verdict) gives them back; a right one leaves them for the second factor's step to settle.
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
          return Future.succeededFuture(checked.result());
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

  /**
   * Opens a session.
   *
   * @param secondFactor how the second factor was checked, or null
   * @param restriction null for a full session
   * @param remember whether to answer a grant that remembers the device (made when the sign-in sent a device key)
   */
  private Future<SignedIn> open(Verified verified, String device, String secondFactor, String restriction,
      boolean remember) {
    AccountDirectory.Account account = verified.account();
    String token = restriction == null ? SecureTokens.random(32) : RESTRICTED_TOKEN + SecureTokens.random(32);
    String key = restriction == null ? SecureTokens.hash(token) : RESTRICTED_KEY + SecureTokens.hash(token);
    Instant now = clock.instant();
    Principal principal = new Principal(key, account.id(), account.username(),
        account.displayName(), account.roles(), SecureTokens.random(24), now, now.plus(config.sessionTtl()),
        verified.signIn(), verified.directoryGroups(), device, secondFactor, restriction, null);
    String grant = remember && device != null && secondFactor != null && factors.devices().enabled()
        ? factors.devices().grant(account, device) : null;
    return sessions.put(principal, config.sessionTtl())
        .map(v -> {
          succeeded.increment();
          String logged = key.substring(key.indexOf(':') + 1);
          LOG.atInfo().addKeyValue("user", account.username())
              .addKeyValue("session", logged.substring(0, 12)).addKeyValue("signIn", verified.signIn())
              .addKeyValue("secondFactor", secondFactor)
              .log(Principal.OFFLINE.equals(verified.signIn()) ? "Signed in (offline sign-in: directory unreachable)"
                  : restriction != null ? "Signed in to enrol a second factor (required by a group)" : "Signed in");
          return new SignedIn(token, principal, grant);
        });
  }

  public Future<Void> logout(Principal principal) {
    String key = principal.sessionId().substring(principal.sessionId().indexOf(':') + 1);
    return sessions.remove(principal.sessionId())
        .onSuccess(v -> LOG.atInfo().addKeyValue("user", principal.username())
            .addKeyValue("session", key.substring(0, Math.min(12, key.length()))).log("Signed out"));
  }

  /** Signs the user out everywhere (account disabled, deleted, demoted or given a new password). */
  public Future<Void> revokeUser(String userId) {
    return sessions.revokeUser(userId)
        .onSuccess(v -> LOG.atInfo().addKeyValue("userId", userId).log("Ended the user's sessions"));
  }

  /**
   * The session for a presented bearer token, or the principal of an API token; {@code null} when it is neither.
   */
  public Future<Principal> authenticate(String token) {
    if (token == null || token.isEmpty() || token.length() > 256) {
      return Future.succeededFuture(null);
    }
    if (ApiTokens.isToken(token)) {
      return factors.tokens().authenticate(token);
    }
    return sessions.find(token.startsWith(RESTRICTED_TOKEN) ? RESTRICTED_KEY + SecureTokens.hash(token)
        : SecureTokens.hash(token));
  }
}
