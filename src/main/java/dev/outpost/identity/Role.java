package dev.outpost.identity;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a signed-in account may do. */
public enum Role {
  /** Runs the site: every admin API. */
  ADMIN("admin"),
  /** Help desk: may only list and act on sessions. */
  SESSION_ADMIN("session-admin"),
  /** Uses the store: own resources and sessions. */
  USER("user");

  private final String wireName;

  Role(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the API and database. */
  public String wireName() {
    return wireName;
  }

  public static Optional<Role> parse(String name) {
    if (name == null) {
      return Optional.empty();
    }
    String wanted = name.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(r -> r.wireName.equals(wanted)).findFirst();
  }
}
