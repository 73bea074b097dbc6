package dev.outpost.identity.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.unboundid.ldap.sdk.Filter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 4515 escaping of filter values and one spelling per DN. */
class DirectoryNamesTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "alice|alice",
      "*|\\2a",
      ")(uid=*|\\29\\28uid=\\2a",
      "a\\b|a\\5cb",
      "\"al\u0000ice\"|al\\00ice",
      "\"tab\there\"|tab\\09here",
      "jörg@example.org|jörg@example.org",
      "EXAMPLE\\alice|EXAMPLE\\5calice"})
  void filterValuesAreEscaped(String value, String escaped) throws Exception {
    // WHEN a user-supplied value is escaped and put in an equality filter
    String result = DirectoryNames.escapeFilterValue(value);
    Filter filter = Filter.create("(uid=" + result + ")");

    // THEN it is the expected text, and the filter is one equality assertion of exactly that value
    assertThat(result).isEqualTo(escaped);
    assertThat(filter.getFilterType()).isEqualTo(Filter.FILTER_TYPE_EQUALITY);
    assertThat(filter.getAssertionValue()).isEqualTo(value);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "cn=Staff,ou=Groups,dc=example,dc=org|cn=staff,ou=groups,dc=example,dc=org",
      "CN=Staff, OU=Groups, DC=Example, DC=Org|cn=staff,ou=groups,dc=example,dc=org",
      "cn=Domain Users,cn=Users,dc=corp,dc=example|cn=domain users,cn=users,dc=corp,dc=example"})
  void dnsHaveOneSpelling(String dn, String canonical) {
    assertThat(DirectoryNames.canonicalDn(dn)).isEqualTo(canonical);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"not a dn", "cn=a,b", "=x"})
  void textThatIsNoDnIsRefused(String text) {
    assertThat(DirectoryNames.isDn(text)).isFalse();
    assertThatThrownBy(() -> DirectoryNames.canonicalDn(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
