package dev.outpost.identity;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What an API token may do, within what its owner may do now: every admin API ({@link #ADMIN}), only sessions
 * ({@link #SESSION_ADMIN}), or only read ({@link #READ_ONLY}: GET and HEAD, with the owner's roles).
 */
public enum TokenScope {
  READ_ONLY("read-only"),
  SESSION_ADMIN("session-admin"),
  ADMIN("admin");

  private final String wireName;

  TokenScope(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  public static Optional<TokenScope> parse(String name) {
    String wanted = name == null ? "" : name.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(s -> s.wireName.equals(wanted)).findFirst();
  }

  /**
   * The roles a token of this scope acts with, given its owner's roles now: none (the token does nothing) when the
   * owner lacks what the scope needs.
   */
  public Set<Role> rolesOf(Set<Role> owner) {
    Set<Role> staff = EnumSet.noneOf(Role.class);
    owner.stream().filter(r -> r == Role.ADMIN || r == Role.SESSION_ADMIN).forEach(staff::add);
    return switch (this) {
      case ADMIN -> staff.contains(Role.ADMIN) ? staff : EnumSet.noneOf(Role.class);
      case SESSION_ADMIN -> staff.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.of(Role.SESSION_ADMIN);
      case READ_ONLY -> staff;
    };
  }

  /** Whether an owner with these roles may hand out a token of this scope. */
  public boolean grantableBy(Set<Role> owner) {
    return !rolesOf(owner).isEmpty();
  }
}
