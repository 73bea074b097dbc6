package dev.outpost.identity;

import dev.outpost.crypto.SecureTokens;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.identity.AccountDirectory.Account;
import dev.outpost.identity.AccountDirectory.SecondFactor;
import io.vertx.core.Future;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a second factor presented by a person: a code of their authenticator app, accepted once per time step
 * (RFC 6238 section 5.2: a code seen before is refused, on every node of the site), or one of their recovery codes,
 * used up by the check. Works from whatever copy of the account sign-in found, the local host cache's too; only
 * recovery codes need the database (they are spent there).
 */
public final class SecondFactorCheck {

  private static final Logger LOG = LoggerFactory.getLogger(SecondFactorCheck.class);
  /** How long a used code is remembered: longer than the steps in which it is accepted. */
  private static final Duration USED_CODE_TTL = Duration.ofSeconds((2L * Totp.DRIFT_STEPS + 2) * Totp.STEP_SECONDS);

  private final SecondFactors store;
  private final OneTimeMarks marks;
  private final Clock clock;

  public SecondFactorCheck(SecondFactors store, OneTimeMarks marks, Clock clock) {
    this.store = Objects.requireNonNull(store);
    this.marks = Objects.requireNonNull(marks);
    this.clock = Objects.requireNonNull(clock);
  }

  /** Where enrolments are changed. */
  public SecondFactors store() {
    return store;
  }

  /**
   * How {@code code} proves the account's second factor: {@link Principal#TOTP} or {@link Principal#RECOVERY_CODE};
   * {@code null} when it does not (wrong, used before, or not a code at all).
   */
  public Future<String> check(Account account, String code) {
    SecondFactor factor = account.secondFactor();
    if (code == null || !factor.enrolled()) {
      return Future.succeededFuture(null);
    }
    String presented = code.strip();
    if (Totp.isCode(presented)) {
      if (factor.totpSecret() == null) {
        return Future.succeededFuture(null);
      }
      return totp(account.id(), factor.totpSecret(), presented).map(ok -> ok ? Principal.TOTP : null);
    }
    if (!RecoveryCodes.looksLikeOne(presented)) {
      return Future.succeededFuture(null);
    }
    String hash = RecoveryCodes.hash(presented);
    if (!factor.recoveryHashes().contains(hash)) {
      return Future.succeededFuture(null);
    }
    return store.spendRecoveryCode(account.id(), hash)
        .recover(e -> Future.failedFuture(ServerErrorException.unavailable("recovery codes cannot be used while the "
            + "site's accounts cannot be reached (each is used up there); use your authenticator app's code", e)))
        .map(spent -> {
          if (spent) {
            LOG.atInfo().addKeyValue("user", account.username()).log("A recovery code was used ({} left)",
                factor.recoveryHashes().size() - 1);
          }
          return spent ? Principal.RECOVERY_CODE : null;
        });
  }

  /** Whether {@code code} is the code of {@code secret} now, and was not used before for this account. */
  public Future<Boolean> totp(String userId, String secret, String code) {
    OptionalLong step = Totp.matchingStep(secret, code, clock.instant());
    if (step.isEmpty()) {
      return Future.succeededFuture(false);
    }
    return marks.firstUse("totp:" + SecureTokens.hash(userId + ":" + step.getAsLong()), USED_CODE_TTL)
        .map(first -> {
          if (!first) {
            LOG.atInfo().addKeyValue("userId", userId).log("An authenticator code was presented a second time");
          }
          return first;
        });
  }

  /** The refusal of a wrong code, the same whatever was wrong with it. */
  public static ClientErrorException wrongCode() {
    return new ClientErrorException(401, "wrong-second-factor", "the code is wrong or was used before; enter the "
        + "current code of your authenticator app, or one of your recovery codes");
  }
}
