package dev.outpost.identity.directory;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.LDAPException;
import java.nio.charset.StandardCharsets;

/** Safe handling of user-supplied text in LDAP filters, and one spelling per distinguished name. */
public final class DirectoryNames {

  private DirectoryNames() {
  }

  /**
   * The value escaped for an LDAP filter assertion (RFC 4515 section 3): {@code * ( ) \} and NUL always, and
   * other control characters too, each as a backslash and two hex digits of its UTF-8 bytes. Whatever a user
   * types can then only ever be compared as a value, never change the filter.
   */
  public static String escapeFilterValue(String value) {
    StringBuilder out = new StringBuilder(value.length() + 8);
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '*' || c == '(' || c == ')' || c == '\\' || c < 0x20 || c == 0x7f) {
        for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
          out.append('\\').append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        }
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * The normalised form of a DN (attribute types and values lower-cased, spacing and escaping made uniform),
   * so that a group named in an entitlement matches the same group as the directory reports it.
   *
   * @throws IllegalArgumentException when the text is not a DN
   */
  public static String canonicalDn(String dn) {
    try {
      return DN.normalize(dn);
    } catch (LDAPException e) {
      throw new IllegalArgumentException("not a distinguished name: " + e.getMessage(), e);
    }
  }

  /** Whether the text parses as a non-empty DN. */
  public static boolean isDn(String text) {
    try {
      return !new DN(text).isNullDN();
    } catch (LDAPException e) {
      return false;
    }
  }
}
