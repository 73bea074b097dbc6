package dev.outpost.identity;

import io.vertx.core.Future;
import java.util.List;

/**
 * Where enrolments of authenticator apps are kept: the site's database (all-in-one, and at a hub), or the hub over
 * the tunnel for an appliance that has one. Sign-in reads factors with the account ({@link AccountDirectory}); this
 * changes them. Secrets cross this interface in clear and are sealed where they are stored.
 */
public interface SecondFactors {

  /** Associated data under which an account's authenticator secret is sealed: the purpose and the account. */
  static String sealPurpose(String userId) {
    return "outpost/identity/totp-secret/v1:" + userId;
  }

  /** Keeps a new secret shown to the user, until they confirm it (replaces an earlier unconfirmed one). */
  Future<Void> propose(String userId, String secret);

  /** The secret proposed and not yet confirmed, or {@code null}. */
  Future<String> proposed(String userId);

  /**
   * Makes the proposed secret the account's factor, with a new factor id and these recovery codes (hashes).
   *
   * @return fails with 409 when {@code secret} is no longer the proposed one (another enrolment began meanwhile)
   */
  Future<Void> confirm(String userId, String secret, List<String> recoveryHashes);

  /** Replaces the account's unused recovery codes. */
  Future<Void> replaceRecoveryCodes(String userId, List<String> recoveryHashes);

  /** Uses up one recovery code; {@code true} only for the one caller that found it unused. */
  Future<Boolean> spendRecoveryCode(String userId, String hash);

  /** Forgets the account's factor and its recovery codes; {@code true} when it had one. */
  Future<Boolean> remove(String userId);
}
