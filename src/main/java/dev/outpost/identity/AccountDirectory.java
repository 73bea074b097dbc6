package dev.outpost.identity;

import io.vertx.core.Future;
import java.util.List;
import java.util.Set;

/** Where sign-in finds accounts: the local database, or the hub for an appliance that has one. */
public interface AccountDirectory {

  /**
   * What sign-in needs to know about one account.
   *
   * @param secondFactor the authenticator app it enrolled, or {@link SecondFactor#NONE}
   * @param secondFactorRequired whether a group it belongs to requires a second factor
   */
  record Account(String id, String username, String displayName, String passwordHash, Set<Role> roles,
      boolean disabled, SecondFactor secondFactor, boolean secondFactorRequired) {

    public Account {
      secondFactor = secondFactor == null ? SecondFactor.NONE : secondFactor;
    }

    /** An account without a second factor. */
    public Account(String id, String username, String displayName, String passwordHash, Set<Role> roles,
        boolean disabled) {
      this(id, username, displayName, passwordHash, roles, disabled, SecondFactor.NONE, false);
    }
  }

  /**
   * An account's authenticator app (TOTP), as sign-in checks it.
   *
   * @param id changes with every enrolment; {@code null} when none is enrolled
   * @param totpSecret the base32 secret, or {@code null} when it could not be opened here (then no code is accepted:
   *     an enrolled factor never turns into none)
   * @param recoveryHashes hashes of the unused recovery codes ({@link RecoveryCodes#hash})
   */
  record SecondFactor(String id, String totpSecret, List<String> recoveryHashes) {

    /** No second factor enrolled. */
    public static final SecondFactor NONE = new SecondFactor(null, null, List.of());

    public SecondFactor {
      recoveryHashes = recoveryHashes == null ? List.of() : List.copyOf(recoveryHashes);
    }

    public boolean enrolled() {
      return id != null;
    }

    @Override
    public String toString() {
      return "SecondFactor[id=" + id + ", recoveryCodes=" + recoveryHashes.size() + "]";
    }
  }

  /** The account with this user name (case-insensitive), or {@code null}. */
  Future<Account> find(String username);
}
