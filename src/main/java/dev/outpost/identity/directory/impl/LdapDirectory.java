package dev.outpost.identity.directory.impl;

import com.unboundid.ldap.sdk.DereferencePolicy;
import com.unboundid.ldap.sdk.ExtendedResult;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.extensions.StartTLSExtendedRequest;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.JVMDefaultTrustManager;
import com.unboundid.util.ssl.SSLUtil;
import dev.outpost.crypto.Pem;
import dev.outpost.identity.directory.DirectoryKind;
import dev.outpost.identity.directory.DirectoryNames;
import dev.outpost.identity.directory.DirectorySettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * Blocking LDAP work against one directory (run it on a worker thread only). Every connection tries the URLs in
 * order, starting with the last one that answered, and each step has a time limit; it binds with the service
 * account (never anonymously) and, where configured, secures the connection with StartTLS or LDAPS against
 * the pinned CA with host name checks. User input reaches filters only escaped (RFC 4515).
 */
final class LdapDirectory {

  /** How deep nested groups are followed, and how many groups one user may collect at most. */
  static final int MAX_NESTING = 8;
  static final int MAX_GROUPS = 1000;
  static final int MAX_LISTED_GROUPS = 100;

  /** A user entry found by their login name. */
  record UserEntry(String dn, String id, String username, String displayName) {
  }

  /** A directory that could not be used: down, timing out, or refusing the service account. */
  static final class UnreachableException extends Exception {
    private static final long serialVersionUID = 1L;

    UnreachableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final DirectorySettings settings;
  private final LDAPConnectionOptions options;
  private final SSLUtil ssl;
  /** Index into the URLs of the last server that answered: tried first next time. */
  private volatile int preferred;
  private volatile String lastUrl = "";

  LdapDirectory(DirectorySettings settings, Duration connectTimeout, Duration operationTimeout) {
    this.settings = settings;
    this.options = new LDAPConnectionOptions();
    options.setConnectTimeoutMillis((int) connectTimeout.toMillis());
    options.setResponseTimeoutMillis(operationTimeout.toMillis());
    options.setAbandonOnTimeout(true);
    options.setBindWithDNRequiresPassword(true);
    options.setUseSynchronousMode(false);
    options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true));
    this.ssl = DirectorySettings.TLS_NONE.equals(settings.tls()) ? null : new SSLUtil(trustManager(settings));
  }

  DirectorySettings settings() {
    return settings;
  }

  /** The URL the last connection went to. */
  String lastUrl() {
    return lastUrl;
  }

  /** A connection bound as the service account, to the first URL that answers. */
  LDAPConnection connect() throws UnreachableException {
    if (settings.bindDn() == null || settings.bindDn().isBlank() || settings.bindSecret() == null
        || settings.bindSecret().isEmpty()) {
      throw new UnreachableException(settings.name() + " has no service account (bind DN and secret): anonymous "
          + "binds are not used", null);
    }
    List<String> urls = settings.urls();
    List<String> failures = new ArrayList<>();
    int first = preferred;
    for (int i = 0; i < urls.size(); i++) {
      int index = (first + i) % urls.size();
      try {
        LDAPConnection connection = open(urls.get(index));
        preferred = index;
        lastUrl = urls.get(index);
        return connection;
      } catch (LDAPException | GeneralSecurityException e) {
        failures.add(urls.get(index) + ": " + describe(e));
      }
    }
    throw new UnreachableException("no server of " + settings.name() + " answered (" + String.join("; ", failures)
        + ")", null);
  }

  private LDAPConnection open(String url) throws LDAPException, GeneralSecurityException {
    LDAPURL parsed = new LDAPURL(url);
    boolean ldaps = "ldaps".equalsIgnoreCase(parsed.getScheme());
    SocketFactory factory = ldaps ? ssl.createSSLSocketFactory() : SocketFactory.getDefault();
    LDAPConnection connection = new LDAPConnection(factory, options, parsed.getHost(), parsed.getPort());
    try {
      if (DirectorySettings.TLS_STARTTLS.equals(settings.tls())) {
        SSLContext context = ssl.createSSLContext();
        ExtendedResult started = connection.processExtendedOperation(new StartTLSExtendedRequest(context));
        if (started.getResultCode() != ResultCode.SUCCESS) {
          throw new LDAPException(started.getResultCode(), "StartTLS refused: " + started.getDiagnosticMessage());
        }
      }
      connection.bind(serviceBind());
      return connection;
    } catch (LDAPException e) {
      connection.close();
      throw e;
    }
  }

  private SimpleBindRequest serviceBind() {
    return new SimpleBindRequest(settings.bindDn(), settings.bindSecret());
  }

  /**
   * The one user entry this login name matches under the user base, or {@code null} when none or several do.
   */
  UserEntry findUser(LDAPConnection connection, String login) throws LDAPException {
    String value = login;
    if (settings.kind() == DirectoryKind.AD && login.contains("\\")) {
      value = login.substring(login.lastIndexOf('\\') + 1); // DOMAIN\name: the down-level logon name
    }
    String escaped = DirectoryNames.escapeFilterValue(value);
    String anyLogin = settings.loginAttributes().stream().map(a -> "(" + a + "=" + escaped + ")")
        .collect(Collectors.joining("", "(|", ")"));
    Filter filter = Filter.create("(&" + settings.userFilter() + anyLogin + ")");
    List<String> attributes = new ArrayList<>(List.of("entryUUID", "objectGUID", "memberOf",
        settings.displayNameAttribute()));
    attributes.addAll(settings.loginAttributes());
    SearchRequest request = new SearchRequest(settings.userBase(), SearchScope.SUB, DereferencePolicy.NEVER, 2,
        timeLimitSeconds(), false, filter, attributes.toArray(String[]::new));
    List<SearchResultEntry> entries;
    try {
      entries = connection.search(request).getSearchEntries();
    } catch (LDAPSearchException e) {
      if (e.getResultCode() == ResultCode.SIZE_LIMIT_EXCEEDED) {
        return null; // ambiguous: two entries answer to this name
      }
      if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
        throw new LDAPException(ResultCode.NO_SUCH_OBJECT, "the user base " + settings.userBase() + " does not exist");
      }
      throw e;
    }
    if (entries.size() != 1) {
      return null;
    }
    SearchResultEntry entry = entries.get(0);
    String username = entry.getAttributeValue(settings.loginAttributes().get(0));
    String displayName = entry.getAttributeValue(settings.displayNameAttribute());
    return new UserEntry(entry.getDN(), userId(entry), username == null ? value : username,
        displayName == null ? "" : displayName);
  }

  /**
   * Whether the password is the user's: a simple bind as the user, then back to the service account. Empty
   * passwords never reach the directory (an empty simple bind would be an anonymous one).
   */
  boolean passwordMatches(LDAPConnection connection, String dn, String password) throws LDAPException {
    if (password == null || password.isEmpty()) {
      return false;
    }
    boolean matches;
    try {
      matches = connection.bind(new SimpleBindRequest(dn, password)).getResultCode() == ResultCode.SUCCESS;
    } catch (LDAPException e) {
      if (!ResultCode.isConnectionUsable(e.getResultCode()) || e.getResultCode() == ResultCode.TIMEOUT) {
        throw e;
      }
      matches = false; // invalid credentials, account locked or disabled, password expired
    }
    connection.bind(serviceBind());
    return matches;
  }

  /** Normalised DNs of the user's groups, nested ones too when configured. */
  Set<String> groups(LDAPConnection connection, UserEntry user) throws LDAPException {
    Set<String> found = new LinkedHashSet<>();
    Deque<String> level = new ArrayDeque<>(parents(connection, user.dn()));
    for (int depth = 0; !level.isEmpty() && depth < MAX_NESTING && found.size() < MAX_GROUPS; depth++) {
      Deque<String> next = new ArrayDeque<>();
      for (String group : level) {
        String canonical = DirectoryNames.canonicalDn(group);
        if (found.add(canonical) && settings.nestedGroups() && found.size() < MAX_GROUPS) {
          next.addAll(parents(connection, group));
        }
      }
      level = next;
    }
    return found;
  }

  /** The DNs of the groups that list this entry (a user or a group) as a direct member. */
  private List<String> parents(LDAPConnection connection, String dn) throws LDAPException {
    if ("memberOf".equals(settings.groupMembership())) {
      SearchResultEntry entry = connection.getEntry(dn, "memberOf");
      String[] values = entry == null ? null : entry.getAttributeValues("memberOf");
      return values == null ? List.of() : List.of(values);
    }
    Filter filter = Filter.create("(&" + settings.groupFilter() + "(" + settings.groupMembership() + "="
        + DirectoryNames.escapeFilterValue(dn) + "))");
    SearchRequest request = new SearchRequest(settings.groupBase(), SearchScope.SUB, DereferencePolicy.NEVER,
        MAX_GROUPS, timeLimitSeconds(), false, filter, "1.1");
    return searchAllowingPartial(connection, request).stream().map(SearchResultEntry::getDN).toList();
  }

  /** Groups whose name contains the query, for pickers: {@code [dn, name]} pairs. */
  List<String[]> listGroups(LDAPConnection connection, String query) throws LDAPException {
    String byName = query == null || query.isBlank() ? ""
        : "(cn=*" + DirectoryNames.escapeFilterValue(query.strip()) + "*)";
    Filter filter = Filter.create("(&" + settings.groupFilter() + byName + ")");
    SearchRequest request = new SearchRequest(settings.groupBase(), SearchScope.SUB, DereferencePolicy.NEVER,
        MAX_LISTED_GROUPS, timeLimitSeconds(), false, filter, "cn");
    List<String[]> groups = new ArrayList<>();
    for (SearchResultEntry entry : searchAllowingPartial(connection, request)) {
      String name = entry.getAttributeValue("cn");
      groups.add(new String[] {DirectoryNames.canonicalDn(entry.getDN()), name == null ? entry.getDN() : name});
    }
    groups.sort((a, b) -> a[1].compareToIgnoreCase(b[1]));
    return groups;
  }

  private static List<SearchResultEntry> searchAllowingPartial(LDAPConnection connection, SearchRequest request)
      throws LDAPException {
    try {
      return connection.search(request).getSearchEntries();
    } catch (LDAPSearchException e) {
      if (e.getResultCode() == ResultCode.SIZE_LIMIT_EXCEEDED) {
        return e.getSearchEntries();
      }
      throw e;
    }
  }

  private int timeLimitSeconds() {
    return (int) Math.max(1, (options.getResponseTimeoutMillis() + 999) / 1000);
  }

  /**
   * A stable Outpost id for the entry: from the directory's own unique id (entryUUID, objectGUID) where it has
   * one, so that renaming or moving the user keeps their sessions and leases; else from the DN.
   */
  private String userId(SearchResultEntry entry) {
    String unique;
    byte[] guid = entry.getAttributeValueBytes("objectGUID");
    if (guid != null) {
      unique = "guid:" + HexFormat.of().formatHex(guid);
    } else if (entry.getAttributeValue("entryUUID") != null) {
      unique = "uuid:" + entry.getAttributeValue("entryUUID").toLowerCase(java.util.Locale.ROOT);
    } else {
      unique = "dn:" + DirectoryNames.canonicalDn(entry.getDN());
    }
    return UUID.nameUUIDFromBytes(("outpost-directory:" + settings.id() + ":" + unique)
        .getBytes(StandardCharsets.UTF_8)).toString();
  }

  static String describe(Exception e) {
    if (e instanceof LDAPException ldap) {
      String message = ldap.getDiagnosticMessage() != null ? ldap.getDiagnosticMessage() : ldap.getMessage();
      return ldap.getResultCode().getName() + (message == null || message.isBlank() ? "" : " (" + message + ")");
    }
    return e.getMessage();
  }

  private static TrustManager trustManager(DirectorySettings settings) {
    if (settings.caCertificate() == null || settings.caCertificate().isBlank()) {
      return JVMDefaultTrustManager.getInstance();
    }
    try {
      X509Certificate ca = Pem.parseCertificate(settings.caCertificate());
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      store.setCertificateEntry("directory-ca", ca);
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return factory.getTrustManagers()[0];
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("the CA certificate of " + settings.name() + " cannot be read: "
          + e.getMessage(), e);
    }
  }
}
