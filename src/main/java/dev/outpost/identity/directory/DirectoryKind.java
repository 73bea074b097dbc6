package dev.outpost.identity.directory;

import java.util.List;
import java.util.Optional;

/**
 * The two directory families Outpost knows, with the defaults that fit each: what a user entry looks like,
 * which attributes name a user at sign-in, and how group membership is recorded.
 */
public enum DirectoryKind {
  /** OpenLDAP and similar: inetOrgPerson users, groupOfNames/groupOfUniqueNames groups holding member DNs. */
  OPENLDAP("openldap", "(objectClass=inetOrgPerson)", List.of("uid"), "cn",
      "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))", "member"),
  /** Active Directory: user objects signed in by sAMAccountName or UPN, groups found through memberOf. */
  AD("ad", "(&(objectCategory=person)(objectClass=user))", List.of("sAMAccountName", "userPrincipalName"),
      "displayName", "(objectClass=group)", "memberOf");

  private final String wireName;
  private final String userFilter;
  private final List<String> loginAttributes;
  private final String displayNameAttribute;
  private final String groupFilter;
  private final String groupMembership;

  DirectoryKind(String wireName, String userFilter, List<String> loginAttributes, String displayNameAttribute,
      String groupFilter, String groupMembership) {
    this.wireName = wireName;
    this.userFilter = userFilter;
    this.loginAttributes = loginAttributes;
    this.displayNameAttribute = displayNameAttribute;
    this.groupFilter = groupFilter;
    this.groupMembership = groupMembership;
  }

  public String wireName() {
    return wireName;
  }

  public String userFilter() {
    return userFilter;
  }

  public List<String> loginAttributes() {
    return loginAttributes;
  }

  public String displayNameAttribute() {
    return displayNameAttribute;
  }

  public String groupFilter() {
    return groupFilter;
  }

  public String groupMembership() {
    return groupMembership;
  }

  public static Optional<DirectoryKind> parse(String name) {
    for (DirectoryKind kind : values()) {
      if (kind.wireName.equals(name)) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }
}
