package dev.outpost.admin.impl;

import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import dev.outpost.admin.Actor;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SecretBox;
import dev.outpost.error.ClientErrorException;
import dev.outpost.identity.directory.DirectoryKind;
import dev.outpost.identity.directory.DirectoryNames;
import dev.outpost.identity.directory.DirectorySettings;
import dev.outpost.identity.directory.DirectoryTable;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * LDAP/AD directories of the resource locations. The bind secret is sealed (AES-GCM) before the transaction
 * opens, never returned ({@code "bindSecretSet": true}) and masked in the audit log. Fields left out take the
 * kind's defaults, and the API shows the values in effect.
 */
public final class DirectoryStore implements EntityStore {

  private static final String ATTRIBUTE = "[A-Za-z][A-Za-z0-9-]{0,63}";
  private static final Schema SCHEMA = Schema.of(
      FieldSpec.text("name", 1, 64).matching(PoolStore.NAME_PATTERN).required(),
      FieldSpec.text("location", 1, 63).matching("[a-z0-9][a-z0-9-]{0,62}").withDefault("default"),
      FieldSpec.text("kind", 1, 16).oneOf(Arrays.stream(DirectoryKind.values()).map(DirectoryKind::wireName)
          .toArray(String[]::new)).withDefault(DirectoryKind.OPENLDAP.wireName()),
      FieldSpec.textList("urls", 1, 8, 256).required(),
      FieldSpec.text("tls", 1, 16).oneOf(DirectorySettings.TLS_STARTTLS, DirectorySettings.TLS_LDAPS,
          DirectorySettings.TLS_NONE).withDefault(DirectorySettings.TLS_STARTTLS),
      FieldSpec.text("caCertificate", 0, 16_384).freeText(),
      FieldSpec.text("bindDn", 1, 1024).required(),
      FieldSpec.text("bindSecret", 1, 1024).secret().required(),
      FieldSpec.text("userBase", 1, 1024).required(),
      FieldSpec.text("userFilter", 0, 1024),
      FieldSpec.textList("loginAttributes", 0, 4, 64).matching(ATTRIBUTE),
      FieldSpec.text("displayNameAttribute", 0, 64),
      FieldSpec.text("groupBase", 0, 1024),
      FieldSpec.text("groupFilter", 0, 1024),
      FieldSpec.text("groupMembership", 1, 16).oneOf("memberOf", "member", "uniqueMember"),
      FieldSpec.bool("nestedGroups"),
      FieldSpec.integer("priority", 0, 1000).withDefault(100),
      FieldSpec.bool("enabled").withDefault(true));
  /** Written columns; {@code bindSecret} becomes {@code bindSecretSealed} in {@link #prepare}. */
  private static final Map<String, String> COLUMNS = Map.ofEntries(Map.entry("name", "name"),
      Map.entry("location", "location"), Map.entry("kind", "kind"), Map.entry("urls", "urls"), Map.entry("tls", "tls"),
      Map.entry("caCertificate", "ca_certificate"), Map.entry("bindDn", "bind_dn"),
      Map.entry("bindSecretSealed", "bind_secret_enc"), Map.entry("userBase", "user_base"),
      Map.entry("userFilter", "user_filter"), Map.entry("loginAttributes", "login_attributes"),
      Map.entry("displayNameAttribute", "display_name_attribute"), Map.entry("groupBase", "group_base"),
      Map.entry("groupFilter", "group_filter"), Map.entry("groupMembership", "group_membership"),
      Map.entry("nestedGroups", "nested_groups"), Map.entry("priority", "priority"), Map.entry("enabled", "enabled"));

  private final SecretBox secrets;
  private final Runnable changed;

  /**
   * @param changed told after every change, e.g. so that this node's sign-in reads the settings again
   */
  public DirectoryStore(SecretBox secrets, Runnable changed) {
    this.secrets = Objects.requireNonNull(secrets);
    this.changed = Objects.requireNonNull(changed);
  }

  @Override
  public String type() {
    return "directory";
  }

  @Override
  public String collection() {
    return "directories";
  }

  @Override
  public Schema schema() {
    return SCHEMA;
  }

  @Override
  public Future<JsonArray> list(SqlClient sql, MultiMap query) {
    return sql.preparedQuery("SELECT * FROM directories d WHERE ($1::text IS NULL OR d.location = $1) "
            + "ORDER BY d.location, d.priority, lower(d.name)")
        .execute(Tuple.of(query.get("location")))
        .map(rows -> Rows.all(rows, DirectoryStore::toJson));
  }

  @Override
  public Future<JsonObject> find(SqlClient sql, String key, boolean lock) {
    return sql.preparedQuery("SELECT * FROM directories d WHERE " + IdOrName.condition("d", "name", 1)
            + " ORDER BY " + IdOrName.idFirst("d", 1) + " LIMIT 1" + (lock ? " FOR UPDATE" : ""))
        .execute(Tuple.of(IdOrName.asId(key), key))
        .map(rows -> Rows.firstOrNull(rows, DirectoryStore::toJson));
  }

  /** Checks what a field schema cannot (URLs, DNs, filters, the CA) and seals the bind secret. */
  @Override
  public Future<JsonObject> prepare(JsonObject checked) {
    try {
      JsonObject prepared = checked.copy();
      if (checked.containsKey("urls")) {
        checked.getJsonArray("urls").forEach(url -> checkUrl((String) url));
      }
      if (checked.containsKey("urls") && checked.containsKey("tls")) {
        checkUrlsFitTls(checked.getJsonArray("urls"), checked.getString("tls"));
      }
      for (String field : new String[] {"bindDn", "userBase", "groupBase"}) {
        String dn = checked.getString(field);
        if (dn != null && !dn.isEmpty() && !DirectoryNames.isDn(dn)) {
          throw ClientErrorException.validation("field '" + field + "' must be a distinguished name, e.g. "
              + "ou=people,dc=example,dc=org");
        }
      }
      for (String field : new String[] {"userFilter", "groupFilter"}) {
        checkFilter(field, checked.getString(field));
      }
      String displayName = checked.getString("displayNameAttribute");
      if (displayName != null && !displayName.isEmpty() && !displayName.matches(ATTRIBUTE)) {
        throw ClientErrorException.validation("field 'displayNameAttribute' must be an attribute name");
      }
      String ca = checked.getString("caCertificate");
      if (ca != null && !ca.isBlank()) {
        Pem.parseCertificate(ca);
      }
      if (checked.containsKey("bindSecret")) {
        prepared.remove("bindSecret");
        prepared.put("bindSecretSealed", secrets.seal(DirectoryTable.SECRET_PURPOSE, checked.getString("bindSecret")));
      }
      return Future.succeededFuture(prepared);
    } catch (IOException e) {
      return Future.failedFuture(ClientErrorException.validation("field 'caCertificate' must be one PEM certificate "
          + "(-----BEGIN CERTIFICATE-----): " + e.getMessage()));
    } catch (ClientErrorException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<JsonObject> create(SqlConnection conn, JsonObject fields, Actor actor) {
    UUID id = UUID.randomUUID();
    String name = fields.getString("name");
    Tuple values = Tuple.tuple().addUUID(id);
    StringBuilder columns = new StringBuilder("id");
    StringBuilder params = new StringBuilder("$1");
    COLUMNS.forEach((field, column) -> {
      if (fields.containsKey(field)) {
        values.addValue(ColumnUpdate.sqlValue(fields.getValue(field)));
        columns.append(", ").append(column);
        params.append(", $").append(values.size());
      }
    });
    return conn.preparedQuery("INSERT INTO directories(" + columns + ") VALUES (" + params + ")").execute(values)
        .recover(SqlConflicts.onUnique(() -> "a directory named '" + name + "' already exists"))
        .recover(e -> Future.failedFuture(SqlConflicts.isState(e, SqlConflicts.FOREIGN_KEY_VIOLATION)
            ? ClientErrorException.validation("unknown resource location '" + fields.getString("location") + "'")
            : e))
        .compose(v -> find(conn, id.toString(), false))
        .onSuccess(v -> changed.run());
  }

  @Override
  public Future<JsonObject> update(SqlConnection conn, JsonObject current, JsonObject changes, Actor actor,
      AfterCommit after) {
    checkUrlsFitTls(changes.getJsonArray("urls", current.getJsonArray("urls")),
        changes.getString("tls", current.getString("tls")));
    UUID id = UUID.fromString(current.getString("id"));
    return ColumnUpdate.apply(conn, "directories", id, changes, COLUMNS)
        .recover(SqlConflicts.onUnique(() -> "a directory named '" + changes.getString("name") + "' already exists"))
        .compose(v -> find(conn, id.toString(), false))
        .onSuccess(v -> changed.run());
  }

  @Override
  public Future<Void> delete(SqlConnection conn, JsonObject current, Actor actor, AfterCommit after) {
    return conn.preparedQuery("DELETE FROM directories WHERE id = $1")
        .execute(Tuple.of(UUID.fromString(current.getString("id")))).<Void>mapEmpty()
        .onSuccess(v -> changed.run());
  }

  private static void checkUrl(String url) {
    try {
      LDAPURL parsed = new LDAPURL(url);
      if (!parsed.hostProvided()) {
        throw ClientErrorException.validation("field 'urls': " + url + " names no host");
      }
    } catch (LDAPException e) {
      throw ClientErrorException.validation("field 'urls': " + url + " is not an ldap:// or ldaps:// URL");
    }
  }

  private static void checkUrlsFitTls(JsonArray urls, String tls) {
    String wanted = DirectorySettings.TLS_LDAPS.equals(tls) ? "ldaps://" : "ldap://";
    for (Object url : urls) {
      if (!((String) url).toLowerCase(java.util.Locale.ROOT).startsWith(wanted)) {
        throw ClientErrorException.validation("field 'urls': with tls '" + tls + "' every URL must start with "
            + wanted + " (" + url + " does not)");
      }
    }
  }

  private static void checkFilter(String field, String filter) {
    if (filter == null || filter.isEmpty()) {
      return;
    }
    try {
      if (!filter.startsWith("(")) {
        throw new LDAPException(com.unboundid.ldap.sdk.ResultCode.FILTER_ERROR, "not in parentheses");
      }
      Filter.create(filter);
    } catch (LDAPException e) {
      throw ClientErrorException.validation("field '" + field + "' must be an LDAP filter in parentheses, e.g. "
          + "(objectClass=person): " + e.getMessage());
    }
  }

  private static JsonObject toJson(Row row) {
    DirectorySettings effective = DirectoryTable.toSettings(row, null);
    return new JsonObject()
        .put("id", effective.id())
        .put("name", effective.name())
        .put("location", effective.location())
        .put("kind", effective.kind().wireName())
        .put("urls", new JsonArray(effective.urls()))
        .put("tls", effective.tls())
        .put("caCertificate", effective.caCertificate() == null || effective.caCertificate().isBlank() ? null
            : effective.caCertificate())
        .put("bindDn", effective.bindDn())
        .put("bindSecretSet", row.getString("bind_secret_enc") != null)
        .put("userBase", effective.userBase())
        .put("userFilter", effective.userFilter())
        .put("loginAttributes", new JsonArray(effective.loginAttributes()))
        .put("displayNameAttribute", effective.displayNameAttribute())
        .put("groupBase", effective.groupBase())
        .put("groupFilter", effective.groupFilter())
        .put("groupMembership", effective.groupMembership())
        .put("nestedGroups", effective.nestedGroups())
        .put("priority", effective.priority())
        .put("enabled", effective.enabled())
        .put("createdAt", Rows.time(row, "created_at"))
        .put("updatedAt", Rows.time(row, "updated_at"));
  }
}
